using Amortized.Kernels.Cpu;

namespace Amortized.Tensors.Autodiff;

/// <summary>
/// One recorded op: its inputs, its output and what its backward needs. Entries are recycled by the tape, so
/// the fields are a fixed, general set (three inputs, two saved tensors, a few integers and floats) instead of
/// a closure per op, which would allocate.
/// </summary>
internal sealed class TapeEntry
{
    public Op Op = null!;
    public Tensor Output = null!;
    public Tensor? A, B, C;
    public Tensor? Saved0, Saved1;
    public int I0, I1, I2;
    public float F0, F1, F2, F3;
    public Activation Activation;
    public int[]? Indices;

    public void Clear()
    {
        Op = null!;
        Output = null!;
        A = B = C = Saved0 = Saved1 = null;
        Indices = null;
    }
}

/// <summary>
/// An op kind's backward rule. Each op is a singleton subclass living in Ops/ next to its forward.
/// </summary>
internal abstract class Op
{
    /// <summary>Display name used in error messages.</summary>
    public abstract string Name { get; }

    /// <summary>Accumulates the gradients of the entry's inputs from entry.Output.Grad.</summary>
    public abstract void Backward(TapeEntry entry);
}
