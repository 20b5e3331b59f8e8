namespace Amortized.Kernels.Cpu;

/// <summary>
/// Activations over long spans split between threads: even shares on <see cref="ThreadSplit.ElementAlignment"/>
/// boundaries, share p on thread p (the rows the GEMM gave that thread), each share run by the one-thread
/// kernel. Every element is computed by the same vector code as on one thread (shares are whole vectors and
/// whole 256-element chunks), so results are bitwise the same for any thread count.
/// </summary>
internal sealed unsafe class ActivationWork : ParallelWork
{
    public enum Mode
    {
        Forward,
        Backward,
        BackwardAccumulate,
    }

    [ThreadStatic]
    private static ActivationWork? t_current;

    private Mode _mode;
    private Activation _kind;
    private float* _x, _dy, _out;
    private int _length, _parts;

    /// <summary>
    /// Runs the activation on several threads when the span is long enough and more than one thread is allowed;
    /// false (nothing done) otherwise, and for spans of different lengths, which the one-thread kernels reject.
    /// </summary>
    public static bool TryRun(Mode mode, Activation kind, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        Span<float> output)
    {
        int parts = Math.Min(KernelThreading.MaxThreads, x.Length / ThreadSplit.MinElementsPerThread);
        if (parts < 2 || output.Length != x.Length || (mode != Mode.Forward && dy.Length != x.Length))
            return false;
        ActivationWork work = t_current ??= new ActivationWork();
        fixed (float* px = x)
        fixed (float* pdy = dy)
        fixed (float* pout = output)
        {
            work._mode = mode;
            work._kind = kind;
            work._x = px;
            work._dy = pdy;
            work._out = pout;
            work._length = x.Length;
            work._parts = parts;
            try
            {
                // A partial overlap of output and input has the same offset in every share, so each share's own
                // check reports it (rethrown here by the pool).
                KernelThreading.For(parts, work);
            }
            finally
            {
                work._x = work._dy = work._out = null;
            }
        }
        return true;
    }

    public override void Run(int index)
    {
        (int start, int end) = ThreadSplit.Share(index, _parts, _length, ThreadSplit.ElementAlignment);
        var x = new ReadOnlySpan<float>(_x + start, end - start);
        var output = new Span<float>(_out + start, end - start);
        switch (_mode)
        {
            case Mode.Forward:
                Activations.Forward(_kind, x, output, SimdPaths.Best);
                break;
            case Mode.Backward:
                Activations.Backward(_kind, x, Dy(start, end), output, SimdPaths.Best);
                break;
            default:
                Activations.BackwardAccumulateSerial(_kind, x, Dy(start, end), output);
                break;
        }
    }

    private ReadOnlySpan<float> Dy(int start, int end) => new(_dy + start, end - start);
}
