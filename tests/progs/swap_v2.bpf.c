/* Release 2 of the program swapped in tests (swap_stamp.h). */
#define SWAP_VERSION 2
#include "swap_stamp.h"
