using System.Runtime.InteropServices;

namespace Amortized.Cli;

/// <summary>
/// The two file-system calls .NET lacks: flushing a folder (so renames in it survive a power loss) and telling a
/// regular file from a FIFO, socket or device before opening it (opening a FIFO blocks until someone writes).
/// Both use the C library on Linux; elsewhere they do nothing.
/// </summary>
internal static class PosixFiles
{
    /// <summary>
    /// fsync of a folder. .NET has no API for it (a FileStream refuses folders), so on Linux it calls open and
    /// fsync; on Windows and macOS (no such libc entry point is bound here) it does nothing, leaving renames to the
    /// file system's own journal.
    /// </summary>
    public static void FlushDirectory(string path)
    {
        if (!OperatingSystem.IsLinux()) return;
        // No O_DIRECTORY: its value differs between architectures (0x10000 on x86-64 is O_DIRECT on arm64), and a
        // read-only open of a folder is all fsync needs.
        int fd = NativeMethods.open(path, OpenReadOnly | OpenCloseOnExec);
        if (fd < 0)
            throw new IOException($"cannot open folder '{path}' to flush it (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            // EINVAL: the file system cannot sync folders (some network or FUSE ones); nothing more can be done.
            if (NativeMethods.fsync(fd) != 0 && Marshal.GetLastPInvokeError() is var errno && errno != EInvalid)
                throw new IOException($"flushing folder '{path}' failed (errno {errno}).");
        }
        finally
        {
            NativeMethods.close(fd);
        }
    }

    /// <summary>
    /// Throws a <see cref="UsageException"/> naming <paramref name="what"/> and <paramref name="path"/> when it is
    /// not a regular file (a FIFO, socket or device): reading one may block forever or never end. statx has the same
    /// layout on every Linux architecture; without it (old C libraries, other systems) the check is skipped.
    /// </summary>
    public static void EnsureRegularFile(string path, string what)
    {
        if (!OperatingSystem.IsLinux()) return;
        var buffer = new byte[256];   // struct statx
        int rc;
        try { rc = NativeMethods.statx(AtCurrentDirectory, path, 0, StatxType, buffer); }
        catch (EntryPointNotFoundException) { return; }
        if (rc != 0) return;   // missing or unreadable: the reader's own error names it
        int mode = BitConverter.ToUInt16(buffer, 28) & FileTypeMask;   // stx_mode
        if (mode == RegularFile || mode == DirectoryType) return;
        string kind = mode switch
        {
            0x1000 => "a FIFO (named pipe)",
            0xC000 => "a socket",
            0x2000 => "a character device",
            0x6000 => "a block device",
            _ => "not a regular file",
        };
        throw new UsageException($"{what} '{path}' is {kind}; expected a regular file (save the data to a file " +
            "first).");
    }

    private const int OpenReadOnly = 0, OpenCloseOnExec = 0x80000, EInvalid = 22,
        AtCurrentDirectory = -100, FileTypeMask = 0xF000, RegularFile = 0x8000, DirectoryType = 0x4000;

    private const uint StatxType = 1;

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
        public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern int fsync(int fd);

        [DllImport("libc")]
        public static extern int close(int fd);

        [DllImport("libc", SetLastError = true)]
        public static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags,
            uint mask, byte[] buffer);
    }
}
