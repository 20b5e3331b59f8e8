using System.Runtime.CompilerServices;

namespace Amortized.Tensors;

/// <summary>
/// Counter-based random number generator (Philox4x32-10, Salmon et al. 2011, "Parallel random numbers: as easy
/// as 1, 2, 3"). The output is a pure function of (seed, stream, position), so independent streams need no
/// shared state and a parallel fill gives the same numbers for any thread count.
/// </summary>
/// <remarks>
/// The 64-bit seed is the Philox key; the 64-bit stream id is the high half of the 128-bit counter and the
/// position (in blocks of four 32-bit words) the low half. A stream therefore holds 2^66 words before it
/// would wrap, and two streams never overlap.
/// </remarks>
public sealed class Rng
{
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    private readonly uint _key0, _key1;
    private readonly uint _stream0, _stream1;
    private ulong _block;            // index of the next 4-word block to generate
    private uint _buf0, _buf1, _buf2, _buf3;
    private int _bufUsed = 4;        // words of the current block already handed out
    private float _spareNormal;
    private bool _hasSpareNormal;

    /// <summary>
    /// Creates stream <paramref name="stream"/> of the generator seeded with <paramref name="seed"/>.
    /// </summary>
    public Rng(ulong seed, ulong stream = 0)
    {
        Seed = seed;
        Stream = stream;
        _key0 = (uint)seed;
        _key1 = (uint)(seed >> 32);
        _stream0 = (uint)stream;
        _stream1 = (uint)(stream >> 32);
    }

    /// <summary>The seed (Philox key).</summary>
    public ulong Seed { get; }

    /// <summary>The stream id (high half of the counter).</summary>
    public ulong Stream { get; }

    /// <summary>An independent generator for stream <paramref name="streamId"/> under the same seed.</summary>
    public Rng Fork(ulong streamId) => new(Seed, streamId);

    /// <summary>
    /// Derives a generator for a sub-task keyed by (this seed, a, b), e.g. (batch index, row index), through a
    /// hash so that the derived streams are distinct from each other and from this one.
    /// </summary>
    public static Rng Derive(ulong seed, ulong a, ulong b = 0) =>
        new(SplitMix(seed ^ SplitMix(a + 0x632BE59BD9B4E019UL)), SplitMix(b) ^ a);

    /// <summary>Moves to the block at <paramref name="blockIndex"/> (each block holds four 32-bit words).</summary>
    public void Seek(ulong blockIndex)
    {
        _block = blockIndex;
        _bufUsed = 4;
        _hasSpareNormal = false;
    }

    /// <summary>The next 32 random bits.</summary>
    public uint NextUInt32()
    {
        if (_bufUsed == 4)
        {
            Block(_block++, out _buf0, out _buf1, out _buf2, out _buf3);
            _bufUsed = 0;
        }
        return _bufUsed++ switch { 0 => _buf0, 1 => _buf1, 2 => _buf2, _ => _buf3 };
    }

    /// <summary>Uniform on [0, 1), 24 bits of precision.</summary>
    public float NextFloat() => (NextUInt32() >> 8) * (1.0f / 16777216f);

    /// <summary>Uniform on [0, 1), 53 bits of precision.</summary>
    public double NextDouble()
    {
        ulong hi = NextUInt32(), lo = NextUInt32();
        return (((hi << 32) | lo) >> 11) * (1.0 / 9007199254740992.0);
    }

    /// <summary>Uniform on [low, high).</summary>
    public float Uniform(float low, float high) => low + (high - low) * NextFloat();

    /// <summary>Integer uniform on [low, highExclusive), without modulo bias (Lemire's method).</summary>
    public int Integer(int low, int highExclusive)
    {
        if (highExclusive <= low)
            throw new ArgumentOutOfRangeException(nameof(highExclusive),
                $"Integer: range [{low}, {highExclusive}) is empty.");
        uint range = (uint)(highExclusive - low);
        ulong product = (ulong)NextUInt32() * range;
        uint leftover = (uint)product;
        if (leftover < range)
        {
            uint threshold = (uint)(-(int)range) % range;
            while (leftover < threshold)
            {
                product = (ulong)NextUInt32() * range;
                leftover = (uint)product;
            }
        }
        return low + (int)(product >> 32);
    }

    /// <summary>Standard normal draw (Box-Muller; the second value of each pair is kept for the next call).</summary>
    public float Normal()
    {
        if (_hasSpareNormal)
        {
            _hasSpareNormal = false;
            return _spareNormal;
        }
        BoxMuller(NextUInt32(), NextUInt32(), out float z0, out float z1);
        _spareNormal = z1;
        _hasSpareNormal = true;
        return z0;
    }

    /// <summary>Normal draw with the given mean and standard deviation.</summary>
    public float Normal(float mean, float std) => mean + std * Normal();

    /// <summary>Fills <paramref name="destination"/> with uniform draws on [low, high).</summary>
    public void FillUniform(Span<float> destination, float low = 0f, float high = 1f)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = Uniform(low, high);
    }

    /// <summary>Fills <paramref name="destination"/> with normal draws.</summary>
    public void FillNormal(Span<float> destination, float mean = 0f, float std = 1f)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = mean + std * Normal();
    }

    /// <summary>Random permutation of 0..n-1 (Fisher-Yates) written to <paramref name="destination"/>.</summary>
    public void Permutation(Span<int> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = i;
        for (int i = destination.Length - 1; i > 0; i--)
        {
            int j = Integer(0, i + 1);
            (destination[i], destination[j]) = (destination[j], destination[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BoxMuller(uint u0, uint u1, out float z0, out float z1)
    {
        // u in (0, 1] so that log(u) is finite.
        double u = ((u0 >> 8) + 1) * (1.0 / 16777216.0);
        double v = (u1 >> 8) * (1.0 / 16777216.0);
        double r = Math.Sqrt(-2.0 * Math.Log(u));
        double angle = 2.0 * Math.PI * v;
        z0 = (float)(r * Math.Cos(angle));
        z1 = (float)(r * Math.Sin(angle));
    }

    /// <summary>Philox4x32-10 applied to counter (block, stream) under this generator's key.</summary>
    private void Block(ulong block, out uint r0, out uint r1, out uint r2, out uint r3)
    {
        uint c0 = (uint)block, c1 = (uint)(block >> 32), c2 = _stream0, c3 = _stream1;
        uint k0 = _key0, k1 = _key1;
        for (int round = 0; round < 10; round++)
        {
            ulong p0 = (ulong)M0 * c0;
            ulong p1 = (ulong)M1 * c2;
            uint n0 = (uint)(p1 >> 32) ^ c1 ^ k0;
            uint n1 = (uint)p1;
            uint n2 = (uint)(p0 >> 32) ^ c3 ^ k1;
            uint n3 = (uint)p0;
            c0 = n0; c1 = n1; c2 = n2; c3 = n3;
            k0 += W0;
            k1 += W1;
        }
        r0 = c0; r1 = c1; r2 = c2; r3 = c3;
    }

    private static ulong SplitMix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
