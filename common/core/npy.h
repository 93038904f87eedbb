// NumPy .npy files (format 1.0, little-endian float32, C order), readable by
// numpy.load. Writing is atomic (core::AtomicFile).
#ifndef MER_COMMON_CORE_NPY_H_
#define MER_COMMON_CORE_NPY_H_

#include <cstddef>
#include <string>
#include <vector>

#include "common/core/result.h"

namespace mer::core {

// Writes `data` (product(shape) floats, C order) as a float32 .npy file.
Status WriteNpy(const std::string& path, const float* data,
                const std::vector<size_t>& shape);

struct NpyArray {
  std::vector<size_t> shape;
  std::vector<float> data;  // product(shape) floats, C order
};

// Reads a float32 (little-endian, C order) .npy file, format 1.0 or 2.0.
Result<NpyArray> ReadNpy(const std::string& path);

}  // namespace mer::core

#endif  // MER_COMMON_CORE_NPY_H_
