/* Keeps the test-support library non-empty whatever else support/ holds. */
typedef int rf_test_support_translation_unit_is_not_empty;
