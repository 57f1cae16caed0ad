// weightinit._core.random: the sampling core. Converts, checks the output buffer,
// releases the GIL and calls the core; no logic of its own.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <cstdint>
#include <vector>

#include "dtypes.hpp"
#include "gil.hpp"
#include "signals.hpp"
#include "weightinit/distributions.hpp"
#include "weightinit/philox.hpp"
#include "weightinit/select.hpp"

namespace py = pybind11;
namespace wi = weightinit;

namespace {

using KeyWords = std::array<std::uint32_t, 2>;
using Shape = std::vector<std::uint64_t>;

template <class T, class Params>
void fill_typed(py::array& out, const wi::Region& region, wi::Key key, const Params& p, int nthreads) {
    T* data = static_cast<T*>(out.mutable_data());
    const wi::Cancel cancel = python_signals();  // Ctrl-C stops a long fill
    ReleaseGil release;
    wi::fill(data, region, key, p, nthreads, cancel);
}

// out must be a C-contiguous, writeable float16/32/64 array whose shape is the
// region's extent; region = (full_shape, start).
template <class Params>
void fill_array(py::array out, KeyWords key, Shape full_shape, Shape start, const Params& p, int nthreads) {
    check_layout(out, "out", true);
    wi::Region region{std::move(full_shape), std::move(start), {}};
    for (py::ssize_t k = 0; k < out.ndim(); ++k) region.extent.push_back(static_cast<std::uint64_t>(out.shape(k)));
    const wi::Key k{key[0], key[1]};
    if (holds<double>(out))
        fill_typed<double>(out, region, k, p, nthreads);
    else if (holds<float>(out))
        fill_typed<float>(out, region, k, p, nthreads);
    else if (holds(out, py::dtype("float16")))
        fill_typed<std::uint16_t>(out, region, k, p, nthreads);
    else
        throw py::type_error("out must be float16, float32 or float64");
}

// a: a 2-D float16/32/64 array, C-contiguous, aligned and writeable; order: float64 of its
// shape, apart from a in memory.
void zero_smallest(py::array a, py::handle order_obj, std::size_t k, int nthreads) {
    if (a.ndim() != 2) throw py::value_error("a must be 2-D");
    check_layout(a, "a", true);
    if (!holds<double>(a) && !holds<float>(a) && !holds(a, py::dtype("float16")))
        throw py::type_error("a must be float16, float32 or float64");
    const py::array order = usable<double>(order_obj, "order", false);
    if (order.ndim() != 2 || order.shape(0) != a.shape(0) || order.shape(1) != a.shape(1))
        throw py::value_error("order must have a's shape");
    void* data = a.mutable_data();
    const auto itemsize = static_cast<std::size_t>(a.itemsize());
    const auto rows = static_cast<std::size_t>(a.shape(0)), cols = static_cast<std::size_t>(a.shape(1));
    ReleaseGil release;
    wi::zero_smallest(data, itemsize, data_of<double>(order), rows, cols, k, nthreads);
}

// A core function of an array of doubles (for the tests), on a new array of x's shape.
template <void (*f)(const double*, std::size_t, double*)>
py::array_t<double> of_array(py::array_t<double, py::array::c_style | py::array::forcecast> x) {
    py::array_t<double> out(x.request().shape);
    const double* src = x.data();
    double* dst = out.mutable_data();
    const auto n = static_cast<std::size_t>(x.size());
    ReleaseGil release;
    f(src, n, dst);
    return out;
}

// float32 and float16 outputs take the float32 stream (its quantile, float32 bounds).
bool single_stream(const py::array& out) { return out.itemsize() <= 4; }

}  // namespace

void register_random(py::module_& parent) {
    auto m = parent.def_submodule("random", "Philox4x32-10 streams (stream spec v3)");
    m.def(
        "philox4x32_10",
        [](std::array<std::uint32_t, 4> counter, KeyWords key) {
            return wi::philox4x32_10({counter[0], counter[1], counter[2], counter[3]}, {key[0], key[1]});
        },
        py::arg("counter"), py::arg("key"));
    // Each Philox version by name, for the tests (the fills use the best one the CPU runs).
    py::enum_<wi::PhiloxVersion>(m, "PhiloxVersion")
        .value("portable", wi::PhiloxVersion::portable)
        .value("avx2", wi::PhiloxVersion::avx2)
        .value("avx512", wi::PhiloxVersion::avx512);
    m.def("philox_version_available", &wi::philox_version_available, py::arg("version"));
    m.def("philox_best_version", &wi::philox_best_version);
    m.def("philox_versions_from_cpu", &wi::philox_versions_from_cpu);
    m.def(
        "philox_batch_blocks",
        [](wi::PhiloxVersion version, KeyWords key, std::uint64_t j0, std::size_t n) {
            constexpr std::size_t B = wi::philox_batch;
            std::vector<std::uint32_t> w(4 * B);
            wi::philox_batch_blocks(version, {key[0], key[1]}, j0, n, &w[0], &w[B], &w[2 * B], &w[3 * B]);
            // A (4, n) copy of the first n words of each lane.
            return py::array_t<std::uint32_t>({std::size_t(4), n}, {B * sizeof(std::uint32_t), sizeof(std::uint32_t)},
                                              w.data());
        },
        py::arg("version"), py::arg("key"), py::arg("j0"), py::arg("n"));
    m.def(
        "fill_uniform",
        [](py::array out, KeyWords key, Shape full_shape, Shape start, double low, double high, int nthreads) {
            fill_array(out, key, std::move(full_shape), std::move(start), wi::make_uniform(low, high), nthreads);
        },
        py::arg("out"), py::arg("key"), py::arg("full_shape"), py::arg("start"), py::arg("low"), py::arg("high"),
        py::arg("nthreads"));
    m.def(
        "fill_normal",
        [](py::array out, KeyWords key, Shape full_shape, Shape start, double mean, double std, int nthreads) {
            fill_array(out, key, std::move(full_shape), std::move(start), wi::make_normal(mean, std), nthreads);
        },
        py::arg("out"), py::arg("key"), py::arg("full_shape"), py::arg("start"), py::arg("mean"), py::arg("std"),
        py::arg("nthreads"));
    m.def(
        "fill_truncated_normal",
        [](py::array out, KeyWords key, Shape full_shape, Shape start, double mean, double std, double a, double b,
           int nthreads) {
            const auto p = wi::make_truncated_normal(mean, std, a, b, single_stream(out));
            fill_array(out, key, std::move(full_shape), std::move(start), p, nthreads);
        },
        py::arg("out"), py::arg("key"), py::arg("full_shape"), py::arg("start"), py::arg("mean"), py::arg("std"),
        py::arg("a"), py::arg("b"), py::arg("nthreads"));
    m.def("zero_smallest", &zero_smallest, py::arg("a"), py::arg("order"), py::arg("k"), py::arg("nthreads"),
          "In each column of a, zeroes the k elements whose (order, row) are smallest (weightinit.sparse's "
          "zero pattern; select.hpp), on up to nthreads threads; the result does not depend on nthreads.");
    m.def(
        "truncated_normal_of_units",
        [](py::array_t<double, py::array::c_style | py::array::forcecast> u, double mean, double std, double a,
           double b, bool float32) -> py::array {
            const auto p = wi::make_truncated_normal(mean, std, a, b, float32);
            const auto n = static_cast<std::size_t>(u.size());
            const double* src = u.data();
            auto run = [&](auto out) -> py::array {
                auto* dst = out.mutable_data();
                ReleaseGil release;
                wi::truncated_normal_of_units(src, n, p, dst);
                return out;
            };
            if (float32) return run(py::array_t<float>(u.request().shape));
            return run(py::array_t<double>(u.request().shape));
        },
        py::arg("u"), py::arg("mean"), py::arg("std"), py::arg("a"), py::arg("b"), py::arg("float32"));
    m.def("ndtri", of_array<wi::ndtri>, py::arg("p"));
    m.def("erfc", of_array<wi::erfc>, py::arg("x"));
    m.def("expm1", of_array<wi::expm1>, py::arg("x"));
}
