/*
 * recvmmsg source over real UDP on 127.0.0.1 (the checks live in
 * test_feeds_source_socket.h, shared with the io_uring source).
 */
#include <ps/source.h>

#define SOURCE_KIND PS_SOURCE_RECVMMSG
#define SOURCE_NAME "source_recvmmsg"

#include "test_feeds_source_socket.h"
