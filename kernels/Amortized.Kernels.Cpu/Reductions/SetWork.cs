namespace Amortized.Kernels.Cpu;

/// <summary>
/// A set sum (a DeepSet's pooling, x (outer, n, inner) to y (outer, inner)) or its backward broadcast split
/// between threads by whole sets: share p of the sets on thread p. Each set is computed by the one-thread code
/// alone, so results are bitwise the same for any thread count.
/// </summary>
internal sealed unsafe class SetWork : ParallelWork
{
    public enum Mode
    {
        /// <summary>y = scale * (sum over n of x).</summary>
        Sum,

        /// <summary>x = scale * y repeated over n (the input names follow the spans passed in).</summary>
        Broadcast,
    }

    [ThreadStatic]
    private static SetWork? t_current;

    private Mode _mode;
    private float* _small, _large;
    private int _smallLength, _largeLength, _outer, _n, _inner, _parts;
    private float _scale;

    /// <summary>
    /// Runs on several threads when the sets are many and long enough and more than one thread is allowed; false
    /// (nothing done) otherwise. Sum reads <paramref name="input"/> (outer, n, inner) into
    /// <paramref name="output"/> (outer, inner); Broadcast reads (outer, inner) into (outer, n, inner).
    /// </summary>
    public static bool TryRun(Mode mode, ReadOnlySpan<float> input, Span<float> output, int outer, int n, int inner,
        float scale)
    {
        long large = (long)outer * n * inner;
        int parts = (int)Math.Min(Math.Min(KernelThreading.MaxThreads, outer),
            large / ThreadSplit.MinElementsPerThread);
        int largeLength = mode == Mode.Sum ? input.Length : output.Length;
        int smallLength = mode == Mode.Sum ? output.Length : input.Length;
        if (parts < 2 || largeLength < large || smallLength < (long)outer * inner)
            return false;
        SetWork work = t_current ??= new SetWork();
        fixed (float* pin = input)
        fixed (float* pout = output)
        {
            work._mode = mode;
            work._large = mode == Mode.Sum ? pin : pout;
            work._small = mode == Mode.Sum ? pout : pin;
            (work._largeLength, work._smallLength) = (largeLength, smallLength);
            (work._outer, work._n, work._inner, work._parts, work._scale) = (outer, n, inner, parts, scale);
            try
            {
                KernelThreading.For(parts, work);
            }
            finally
            {
                work._small = work._large = null;
            }
        }
        return true;
    }

    public override void Run(int index)
    {
        (int o0, int o1) = ThreadSplit.Share(index, _parts, _outer, 1);
        var large = new Span<float>(_large, _largeLength);
        var small = new Span<float>(_small, _smallLength);
        if (_mode == Mode.Sum)
            ReductionKernels.ReduceRange(ReduceKind.Sum, large, small, o0, o1, _n, _inner, _scale);
        else
            ReductionKernels.BroadcastRange(small, large, o0, o1, _n, _inner, _scale);
    }
}
