// Order statistics of the core: the zero pattern of weightinit.sparse.
#pragma once

#include <cstddef>

namespace weightinit {

// a: a row-major rows x cols matrix of elements of `itemsize` bytes (2, 4 or 8: float16,
// float32, float64; zero is all-zero bytes in each); order: a row-major rows x cols matrix
// of doubles. In every column c, sets to zero the k elements a[r, c] whose keys
// (order[r, c], r) are the smallest, keys compared as pairs: order first, then the row, so
// ties in order go to the lower rows. order is compared by its bits as unsigned integers,
// which orders +0.0 to +inf as their values; a value with the sign bit set (-0.0 included)
// or a NaN comes after every one of those (a total order, so any input gives one
// well-defined answer). Only a's k chosen elements of each column are written; order is not.
// Each column finds its (k + 1)-th smallest key among candidate rows: those whose order lies
// below a threshold a little above where uniforms in [0, 1) would put it (or, when
// k >= rows / 2 in integer division, above one a little below it, counting from the high
// end), and all its rows should that leave too few; which rows are chosen does not depend
// on that, nor on nthreads (columns are split among up to nthreads threads).
// Throws std::invalid_argument for another itemsize or k > rows, std::bad_alloc.
void zero_smallest(void* a, std::size_t itemsize, const double* order, std::size_t rows, std::size_t cols,
                   std::size_t k, int nthreads);

}  // namespace weightinit
