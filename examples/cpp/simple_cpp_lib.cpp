#include <iostream>

extern "C" int32_t get_sum(const int32_t A, const int32_t B) {
    return A + B;
}
