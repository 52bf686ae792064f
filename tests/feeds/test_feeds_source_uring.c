/*
 * io_uring source over real UDP on 127.0.0.1: the same checks as the recvmmsg
 * source (test_feeds_source_socket.h). Skips (77) where io_uring is unavailable.
 */
#include <ps/source.h>

#define SOURCE_KIND PS_SOURCE_URING
#define SOURCE_NAME "source_uring"

#include "test_feeds_source_socket.h"
