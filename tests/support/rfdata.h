/* Test data made from the real Fashion-MNIST: slices written as IDX files,
 * so end-to-end runs stay short but see real images. */
#ifndef RF_TEST_DATA_H
#define RF_TEST_DATA_H

/* The folder of the real data set (REGFIT_DATA or the Debian package's). */
const char *rf_test_fashion_dir(void);

/* Writes the first n_train training and n_test test samples of the real
 * data as plain IDX files into DIR (inside the test temp dir), named
 * train-images-idx3-ubyte etc. Returns 0, or -1 when the real data is not
 * installed. */
int rf_test_write_fashion_slice(const char *dir, int n_train, int n_test);

#endif
