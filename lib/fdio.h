#ifndef FDIO_H
#define FDIO_H

#include <stddef.h>

/*
 * Write all len bytes of buf to fd, going on after short writes and
 * EINTR.  0, or -1 with errno set (nothing said: the caller knows what
 * the fd is).
 */
int fdio_write_all(int fd, const void *buf, size_t len);

#endif
