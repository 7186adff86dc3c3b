/* numpy's pairwise summation for float64 (numpy/_core/src/umath/loops_utils.h.src), checked
 * against np.sum of numpy 2.4.6: np.sum(x) of a contiguous float64 array is 0.0 + pairwise(x)
 * over the whole array (the identity 0.0 turns a -0.0 result into +0.0). */
#include "msizarr/axis.h"

#define PW_BLOCKSIZE 128

static double pairwise(const double *a, size_t n)
{
    if (n < 8) {
        double res = 0.0;
        for (size_t i = 0; i < n; i++)
            res += a[i];
        return res;
    }
    if (n <= PW_BLOCKSIZE) {
        double r[8];
        size_t i;
        for (int j = 0; j < 8; j++)
            r[j] = a[j];
        for (i = 8; i < n - (n % 8); i += 8) {
            for (int j = 0; j < 8; j++)
                r[j] += a[i + j];
        }
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += a[i];
        return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise(a, n2) + pairwise(a + n2, n - n2);
}

double msiz_pairwise_sum(const double *x, size_t n)
{
    return 0.0 + pairwise(x, n);
}
