#include <malloc.h>
#include "CMemory.h"

int cmemory_trim(void) {
    return malloc_trim(0);
}
