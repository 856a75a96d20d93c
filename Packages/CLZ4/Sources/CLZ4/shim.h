// LZ4 block compression, used to frame activations on the wire.
#include <lz4.h>
