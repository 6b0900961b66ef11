// ndb-test-faultfs: a FUSE filesystem for the fault tier that passes everything through to a
// real directory and fails I/O on cue, the way a dying disk or a full one does to its reader:
//
//   ndb-test-faultfs ROOT MOUNTPOINT [--cue FILE] [--read-eio NAME:OFFSET]
//                    [--write-error EIO|ENOSPC] [--write-rate PERCENT] [--seed N]
//
// Faults are active only while the cue file exists (always, without --cue), so a test can set
// a volume or a repository up on it healthy and then pull the plug. A number in the cue file
// replaces --read-eio's OFFSET, so that one mount serves trials at different offsets.
//   --read-eio NAME:OFFSET  reads of files named NAME at or beyond byte OFFSET fail with EIO
//   --write-error E         write() and fsync() of files fail with E at --write-rate percent
//                           (seeded: --seed replays), so that a run fails part-way
// Every injected fault is counted on standard error ("faultfs: injected N ..."). Every file is
// opened direct_io so that each read reaches this process rather than the kernel's page cache.
// Runs in the foreground, single-threaded, until unmounted (umount MOUNTPOINT) or killed.
#define _GNU_SOURCE
#define FUSE_USE_VERSION 35
#include <fuse.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static const char *g_root;
static const char *g_cue;
static const char *g_readName;
static off_t g_readFrom = -1;
static int g_writeErrno;
static unsigned g_writeRate;
static unsigned long long g_state = 88172645463325252ULL;
static unsigned long g_injected;

static int faultsActive(void)
{
    return g_cue == NULL || access(g_cue, F_OK) == 0;
}

static unsigned randomPercent(void)
{
    // xorshift64: seeded, so that a failing run replays.
    g_state ^= g_state << 13;
    g_state ^= g_state >> 7;
    g_state ^= g_state << 17;
    return (unsigned)(g_state % 100);
}

static void injected(const char *what, const char *path, off_t offset, int err)
{
    ++g_injected;
    fprintf(stderr, "faultfs: injected %lu: %s %s at %lld: %s\n", g_injected, what, path, (long long)offset, strerror(err));
    fflush(stderr);
}

static int writeFault(const char *path, off_t offset)
{
    if (g_writeErrno == 0 || !faultsActive() || randomPercent() >= g_writeRate)
        return 0;
    injected("write", path, offset, g_writeErrno);
    return -g_writeErrno;
}

static void real(char *out, size_t size, const char *path)
{
    snprintf(out, size, "%s%s", g_root, path);
}

#define REAL(var, path) char var[4096]; real(var, sizeof var, path)

static int ff_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
    if (fi)
        return fstat((int)fi->fh, st) == 0 ? 0 : -errno;
    REAL(p, path);
    return lstat(p, st) == 0 ? 0 : -errno;
}

static int ff_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t offset, struct fuse_file_info *fi,
                      enum fuse_readdir_flags flags)
{
    (void)offset; (void)fi; (void)flags;
    REAL(p, path);
    DIR *d = opendir(p);
    if (!d)
        return -errno;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        fill(buf, e->d_name, NULL, 0, 0);
    closedir(d);
    return 0;
}

static int ff_mkdir(const char *path, mode_t mode) { REAL(p, path); return mkdir(p, mode) == 0 ? 0 : -errno; }
static int ff_rmdir(const char *path) { REAL(p, path); return rmdir(p) == 0 ? 0 : -errno; }
static int ff_unlink(const char *path) { REAL(p, path); return unlink(p) == 0 ? 0 : -errno; }

static int ff_rename(const char *from, const char *to, unsigned int flags)
{
    if (flags)
        return -EINVAL;
    REAL(a, from);
    REAL(b, to);
    return rename(a, b) == 0 ? 0 : -errno;
}

static int ff_link(const char *from, const char *to)
{
    REAL(a, from);
    REAL(b, to);
    return link(a, b) == 0 ? 0 : -errno;
}

static int ff_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
    (void)fi;
    REAL(p, path);
    return chmod(p, mode) == 0 ? 0 : -errno;
}

static int ff_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
    if (fi)
        return ftruncate((int)fi->fh, size) == 0 ? 0 : -errno;
    REAL(p, path);
    return truncate(p, size) == 0 ? 0 : -errno;
}

static int ff_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
    if (fi)
        return futimens((int)fi->fh, tv) == 0 ? 0 : -errno;
    REAL(p, path);
    return utimensat(AT_FDCWD, p, tv, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
}

static int ff_open(const char *path, struct fuse_file_info *fi)
{
    REAL(p, path);
    const int fd = open(p, fi->flags & ~O_DIRECT);
    if (fd < 0)
        return -errno;
    fi->fh = (uint64_t)fd;
    fi->direct_io = 1;
    return 0;
}

static int ff_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
    REAL(p, path);
    const int fd = open(p, (fi->flags & ~O_DIRECT) | O_CREAT, mode);
    if (fd < 0)
        return -errno;
    fi->fh = (uint64_t)fd;
    fi->direct_io = 1;
    return 0;
}

// The read fault's offset: the cue file's number, else --read-eio's; -1 while disarmed.
static off_t readFaultFrom(void)
{
    if (!faultsActive())
        return -1;
    if (g_cue) {
        FILE *f = fopen(g_cue, "r");
        long long from = -1;
        if (f) {
            if (fscanf(f, "%lld", &from) != 1)
                from = -1;
            fclose(f);
        }
        if (from >= 0)
            return (off_t)from;
    }
    return g_readFrom;
}

static int ff_read(const char *path, char *buf, size_t size, off_t offset, struct fuse_file_info *fi)
{
    off_t from;
    if (g_readName && (from = readFaultFrom()) >= 0 && offset + (off_t)size > from) {
        const char *base = strrchr(path, '/');
        if (strcmp(base ? base + 1 : path, g_readName) == 0) {
            injected("read", path, offset, EIO);
            return -EIO;
        }
    }
    const ssize_t n = pread((int)fi->fh, buf, size, offset);
    return n < 0 ? -errno : (int)n;
}

static int ff_write(const char *path, const char *buf, size_t size, off_t offset, struct fuse_file_info *fi)
{
    const int fault = writeFault(path, offset);
    if (fault)
        return fault;
    const ssize_t n = pwrite((int)fi->fh, buf, size, offset);
    return n < 0 ? -errno : (int)n;
}

static int ff_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
    const int fault = writeFault(path, -1);
    if (fault)
        return fault;
    const int rc = datasync ? fdatasync((int)fi->fh) : fsync((int)fi->fh);
    return rc == 0 ? 0 : -errno;
}

static int ff_release(const char *path, struct fuse_file_info *fi)
{
    (void)path;
    close((int)fi->fh);
    return 0;
}

static int ff_statfs(const char *path, struct statvfs *st)
{
    REAL(p, path);
    return statvfs(p, st) == 0 ? 0 : -errno;
}

static int ff_fallocate(const char *path, int mode, off_t offset, off_t length, struct fuse_file_info *fi)
{
    (void)path;
    return fallocate((int)fi->fh, mode, offset, length) == 0 ? 0 : -errno;
}

static const struct fuse_operations kOperations = {
    .getattr = ff_getattr,
    .mkdir = ff_mkdir,
    .unlink = ff_unlink,
    .rmdir = ff_rmdir,
    .rename = ff_rename,
    .link = ff_link,
    .chmod = ff_chmod,
    .truncate = ff_truncate,
    .open = ff_open,
    .read = ff_read,
    .write = ff_write,
    .statfs = ff_statfs,
    .release = ff_release,
    .fsync = ff_fsync,
    .readdir = ff_readdir,
    .create = ff_create,
    .utimens = ff_utimens,
    .fallocate = ff_fallocate,
};

static void usage(void)
{
    fprintf(stderr, "usage: ndb-test-faultfs ROOT MOUNTPOINT [--cue FILE] [--read-eio NAME:OFFSET] "
                    "[--write-error EIO|ENOSPC] [--write-rate PERCENT] [--seed N]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc < 3)
        usage();
    static char root[4096];
    if (!realpath(argv[1], root)) {
        fprintf(stderr, "faultfs: %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    g_root = root;
    const char *mountPoint = argv[2];
    for (int i = 3; i < argc; ++i) {
        if (i + 1 >= argc)
            usage();
        const char *value = argv[++i];
        if (strcmp(argv[i - 1], "--cue") == 0) {
            g_cue = value;
        } else if (strcmp(argv[i - 1], "--read-eio") == 0) {
            static char name[256];
            const char *colon = strrchr(value, ':');
            if (!colon || (size_t)(colon - value) >= sizeof name)
                usage();
            memcpy(name, value, (size_t)(colon - value));
            g_readName = name;
            g_readFrom = (off_t)strtoll(colon + 1, NULL, 10);
        } else if (strcmp(argv[i - 1], "--write-error") == 0) {
            g_writeErrno = strcmp(value, "ENOSPC") == 0 ? ENOSPC : strcmp(value, "EIO") == 0 ? EIO : 0;
            if (!g_writeErrno)
                usage();
        } else if (strcmp(argv[i - 1], "--write-rate") == 0) {
            g_writeRate = (unsigned)strtoul(value, NULL, 10);
        } else if (strcmp(argv[i - 1], "--seed") == 0) {
            g_state ^= strtoull(value, NULL, 10) * 2654435761ULL;
            if (g_state == 0)
                g_state = 1;
        } else {
            usage();
        }
    }
    char *fuseArgv[] = {argv[0], "-f", "-s", "-o", "allow_other,default_permissions,fsname=ndb-faultfs",
                        (char *)mountPoint, NULL};
    const int rc = fuse_main(6, fuseArgv, &kOperations, NULL);
    fprintf(stderr, "faultfs: exiting, %lu faults injected\n", g_injected);
    return rc;
}
