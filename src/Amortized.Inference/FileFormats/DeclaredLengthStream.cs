namespace Amortized.Inference.FileFormats;

/// <summary>
/// A read-only view of a stream that must hold exactly <c>declared</c> bytes, such as an inflating zip entry whose
/// header states its uncompressed size: reading past that size throws instead of inflating on, so a zip header
/// that understates its entry cannot feed a reader more than the size that was checked against the limits.
/// </summary>
internal sealed class DeclaredLengthStream(Stream inner, long declared) : Stream
{
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        // Ask for at most one byte beyond the declared size: enough to notice a longer entry, no more.
        long allowed = declared - _position + 1;
        if (allowed <= 0 || buffer.IsEmpty) return 0;
        int n = inner.Read(buffer[..(int)Math.Min(buffer.Length, allowed)]);
        _position += n;
        if (_position > declared)
            throw new InvalidDataException(
                $"the entry inflates to more than the {declared} bytes its zip header declares.");
        return n;
    }

    /// <summary>Throws unless the inner stream ends exactly at the declared size.</summary>
    public void CheckAtEnd()
    {
        if (_position < declared)
            throw new InvalidDataException(
                $"the entry's zip header declares {declared} bytes; only {_position} were read.");
        Span<byte> one = stackalloc byte[1];
        _ = Read(one); // throws if one more byte comes
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
