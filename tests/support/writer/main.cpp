// ndb-test-writer: a workload that keeps writing to a volume while the engine copies it, and logs
// what it completed so that a checker can prove the copy is one point in time.
//   --raw DEVICE --log FILE [--blocks N] [--seed S]   4 KiB O_DIRECT|O_SYNC block writes
//   --files MOUNTPOINT --log FILE [--seed S]          files written, fsync'd, renamed into place
// Runs until SIGTERM/SIGINT (or --max writes); every write is complete and logged before it stops.
#include "../writerformat.h"

#include <QByteArray>
#include <QCryptographicHash>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace ndbtest::writer;

namespace {

volatile std::sig_atomic_t g_stop = 0;
void onSignal(int) { g_stop = 1; }

[[noreturn]] void die(const std::string &what)
{
    std::fprintf(stderr, "ndb-test-writer: %s: %s\n", what.c_str(), std::strerror(errno));
    std::exit(2);
}

void writeAll(int fd, const void *data, size_t length, const std::string &what)
{
    const char *p = static_cast<const char *>(data);
    while (length > 0) {
        const ssize_t n = ::write(fd, p, length);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die(what);
        }
        p += n;
        length -= size_t(n);
    }
}

// Appends one record and makes it durable before the next write starts.
void logRecord(int logFd, const std::string &line)
{
    writeAll(logFd, line.data(), line.size(), "log write");
    if (::fdatasync(logFd) != 0)
        die("log fsync");
}

int runRaw(const char *device, int logFd, std::uint64_t blocks, std::uint64_t seed, std::uint64_t max)
{
    const int fd = ::open(device, O_RDWR | O_DIRECT | O_SYNC | O_CLOEXEC);
    if (fd < 0)
        die(std::string("open ") + device);
    struct stat st {};
    ::fstat(fd, &st);
    std::uint64_t bytes = std::uint64_t(st.st_size);
    if (S_ISBLK(st.st_mode) && ::ioctl(fd, BLKGETSIZE64, &bytes) != 0)
        die("BLKGETSIZE64");
    const std::uint64_t available = bytes / kBlockSize;
    if (blocks == 0 || blocks > available)
        blocks = available;
    if (blocks == 0)
        die("device too small");
    logRecord(logFd, "raw blocks=" + std::to_string(blocks) + " seed=" + std::to_string(seed) + "\n");

    void *mem = nullptr;
    if (::posix_memalign(&mem, kBlockSize, kBlockSize) != 0)
        die("posix_memalign");
    auto *buffer = static_cast<unsigned char *>(mem);
    std::vector<std::uint32_t> generations(blocks, 0);
    for (std::uint64_t seq = 1; !g_stop && (max == 0 || seq <= max); ++seq) {
        const std::uint64_t block = blockForSeq(seed, seq, blocks);
        makeBlock(buffer, seed, seq, block, ++generations[block]);
        if (::pwrite(fd, buffer, kBlockSize, off_t(block * kBlockSize)) != kBlockSize)
            die("block write");
        logRecord(logFd, "seq " + std::to_string(seq) + "\n");
    }
    ::free(mem);
    ::close(fd);
    return 0;
}

void fsyncPath(const std::string &path, int flags)
{
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0)
        die("fsync " + path);
    ::close(fd);
}

int runFiles(const char *mountPoint, int logFd, std::uint64_t seed, std::uint64_t max)
{
    const std::string dir = std::string(mountPoint) + "/ndb-writer";
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
        die("mkdir " + dir);
    fsyncPath(mountPoint, O_RDONLY | O_DIRECTORY);
    logRecord(logFd, "files dir=ndb-writer seed=" + std::to_string(seed) + "\n");
    std::uint64_t state = seed;
    std::vector<char> content;
    for (std::uint64_t n = 1; !g_stop && (max == 0 || n <= max); ++n) {
        char name[16];
        std::snprintf(name, sizeof name, "f%03u", unsigned(splitmix64(state) % 48));
        content.resize(1 + splitmix64(state) % (96 * 1024));
        for (size_t i = 0; i < content.size(); i += 8) {
            const std::uint64_t v = splitmix64(state);
            std::memcpy(content.data() + i, &v, std::min<size_t>(8, content.size() - i));
        }
        // Written under a temporary name and renamed: a file is always one whole version.
        const std::string tmp = dir + "/.tmp-" + name;
        const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
            die("create " + tmp);
        writeAll(fd, content.data(), content.size(), "write " + tmp);
        if (::fsync(fd) != 0)
            die("fsync " + tmp);
        ::close(fd);
        if (::rename(tmp.c_str(), (dir + "/" + name).c_str()) != 0)
            die("rename " + tmp);
        fsyncPath(dir, O_RDONLY | O_DIRECTORY);
        const QByteArray sha = QCryptographicHash::hash(QByteArrayView(content.data(), qsizetype(content.size())),
                                                        QCryptographicHash::Sha256).toHex();
        logRecord(logFd, std::string("done ") + name + " " + sha.toStdString() + "\n");
    }
    return 0;
}

void usage()
{
    std::fprintf(stderr, "usage: ndb-test-writer (--raw DEVICE | --files MOUNTPOINT) --log FILE "
                         "[--blocks N] [--seed S] [--max N]\n");
    std::exit(1);
}

} // namespace

int main(int argc, char **argv)
{
    const char *raw = nullptr, *files = nullptr, *log = nullptr;
    std::uint64_t blocks = 0, seed = 1, max = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        if (a == "--raw") raw = v;
        else if (a == "--files") files = v;
        else if (a == "--log") log = v;
        else if (a == "--blocks") blocks = std::strtoull(v, nullptr, 10);
        else if (a == "--seed") seed = std::strtoull(v, nullptr, 10);
        else if (a == "--max") max = std::strtoull(v, nullptr, 10);
        else usage();
    }
    if (!log || (!raw == !files))
        usage();

    struct sigaction sa {};
    sa.sa_handler = onSignal; // the current write finishes and is logged; the loop then stops
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGINT, &sa, nullptr);

    const int logFd = ::open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (logFd < 0)
        die(std::string("open log ") + log);
    const int rc = raw ? runRaw(raw, logFd, blocks, seed, max) : runFiles(files, logFd, seed, max);
    ::close(logFd);
    return rc;
}
