/*
 * BinaryFILE reader (mmap) and writer. The iteration itself is the static
 * inline ps_binfile_next in <ps/binfile.h>.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ps/binfile.h>

int ps_binfile_reader_open(struct ps_binfile_reader *r, const char *path)
{
	struct stat sb;
	void *p;
	int fd, err;

	memset(r, 0, sizeof(*r));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	if (sb.st_size == 0) {
		close(fd);
		return 0;
	}
	p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	err = p == MAP_FAILED ? -errno : 0;
	close(fd);
	if (err)
		return err;
	/* Replay reads front to back once. */
	(void)madvise(p, (size_t)sb.st_size, MADV_SEQUENTIAL);
	r->map = p;
	r->map_len = (size_t)sb.st_size;
	r->base = p;
	r->len = (size_t)sb.st_size;
	return 0;
}

void ps_binfile_reader_close(struct ps_binfile_reader *r)
{
	if (r->map)
		munmap(r->map, r->map_len);
	memset(r, 0, sizeof(*r));
}

int ps_binfile_writer_open(struct ps_binfile_writer *w, const char *path)
{
	memset(w, 0, sizeof(*w));
	w->f = fopen(path, "wbe");
	if (!w->f)
		return -errno;
	return 0;
}

void ps_binfile_writer_init_mem(struct ps_binfile_writer *w, void *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
}

int ps_binfile_write(struct ps_binfile_writer *w, const void *msg, size_t len)
{
	uint8_t hdr[2];

	if (len > 0xFFFF)
		return -EINVAL;
	ps_store_be16(hdr, (uint16_t)len);
	if (w->f) {
		if (fwrite(hdr, 1, 2, w->f) != 2 || fwrite(msg, 1, len, w->f) != len)
			return -EIO;
	} else {
		if (w->cap - w->len < len + 2)
			return -ENOSPC;
		memcpy(w->buf + w->len, hdr, 2);
		memcpy(w->buf + w->len + 2, msg, len);
	}
	w->len += len + 2;
	w->count++;
	return 0;
}

int ps_binfile_writer_close(struct ps_binfile_writer *w)
{
	int err = 0;

	if (w->f && fclose(w->f) != 0)
		err = -EIO;
	w->f = NULL;
	return err;
}
