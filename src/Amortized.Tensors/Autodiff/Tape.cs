using Amortized.Kernels.Cpu;
using Amortized.Tensors.Backends;

namespace Amortized.Tensors.Autodiff;

/// <summary>
/// The reverse-mode tape. While a tape records on a thread, every op with an input that requires a gradient
/// appends an entry; <see cref="Backward"/> walks the entries in reverse (recording order is a topological
/// order) and accumulates gradients into the inputs' <see cref="Tensor.Grad"/>.
/// </summary>
/// <example>
/// <code>
/// var tape = new Tape();
/// using (tape.Record()) { var loss = model.Loss(x); tape.Backward(loss); }
/// </code>
/// </example>
public sealed class Tape
{
    [ThreadStatic] private static Tape? t_current;
    [ThreadStatic] private static Tensor? t_gradientTarget;   // set by Gradient(): the only leaf that receives
                                                              // a gradient

    private readonly List<TapeEntry> _entries = [];
    private int _count;

    /// <summary>The tape recording on this thread, or null (no tape, or inside a no-grad scope).</summary>
    public static Tape? Current => t_current;

    /// <summary>Number of entries recorded since <see cref="Record"/>.</summary>
    public int Count => _count;

    /// <summary>Clears the tape and makes it record on this thread until the scope is disposed.</summary>
    public Scope Record()
    {
        Clear();
        var previous = t_current;
        t_current = this;
        return new Scope(previous);
    }

    /// <summary>Turns recording off on this thread until the scope is disposed (sampling, evaluation).</summary>
    public static Scope NoGrad()
    {
        var previous = t_current;
        t_current = null;
        return new Scope(previous);
    }

    /// <summary>Drops all entries (the entry objects are kept for reuse).</summary>
    public void Clear()
    {
        for (int i = 0; i < _count; i++) _entries[i].Clear();
        _count = 0;
    }

    /// <summary>True when an op on these inputs must be recorded.</summary>
    internal static bool ShouldRecord(Tensor a, Tensor? b = null, Tensor? c = null) =>
        t_current is not null && (a.RequiresGrad || (b?.RequiresGrad ?? false) || (c?.RequiresGrad ?? false));

    /// <summary>Appends an entry for <paramref name="op"/> producing <paramref name="output"/>.</summary>
    internal static TapeEntry Push(Op op, Tensor output, Tensor a, Tensor? b = null, Tensor? c = null)
    {
        var tape = t_current!;
        TapeEntry entry;
        if (tape._count < tape._entries.Count) entry = tape._entries[tape._count];
        else
        {
            entry = new TapeEntry();
            tape._entries.Add(entry);
        }
        tape._count++;
        entry.Op = op;
        entry.Output = output;
        entry.A = a;
        entry.B = b;
        entry.C = c;
        output.RequiresGrad = true;
        output.ProducedByTape = true;
        return entry;
    }

    /// <summary>
    /// Backpropagates from <paramref name="loss"/> (a one-element tensor, seeded with d loss/d loss = 1) through
    /// every entry recorded so far, accumulating into the inputs' gradients. Recording is paused meanwhile.
    /// </summary>
    public void Backward(Tensor loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        if (loss.Size != 1)
            throw new ArgumentException(
                $"Backward: the loss must have one element; it has shape {loss.Shape}.", nameof(loss));
        if (!loss.RequiresGrad)
            throw new InvalidOperationException(
                "Backward: the loss does not depend on any tensor that requires a gradient (was the tape recording?).");
        // Interior gradients of an earlier pass over this recording were already propagated: start them afresh,
        // so a second Backward adds exactly one more gradient to the leaves.
        ClearGradients();
        var previous = t_current;
        t_current = null;
        try
        {
            if (loss.Grad is null)
            {
                loss.Grad = Tensor.EmptyLike(loss, loss.Shape);
                loss.Backend.Fill(loss.Grad, 1f);
            }
            else loss.Backend.Unary(UnaryKind.AddScalar, loss.Grad, loss.Grad, 1f, 0f);
            for (int i = _count - 1; i >= 0; i--)
            {
                var entry = _entries[i];
                if (entry.Output.Grad is null) continue;
                entry.Op.Backward(entry);
            }
        }
        finally
        {
            t_current = previous;
        }
    }

    /// <summary>
    /// d <paramref name="output"/> / d <paramref name="input"/> for a one-element output recorded on this tape,
    /// without touching any other leaf's gradient (parameters keep theirs). Intermediate gradients from an earlier
    /// backward pass are discarded first, so it can be called once per output, e.g. for Jacobian rows.
    /// </summary>
    public Tensor Gradient(Tensor output, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(input);
        input.Grad = null;
        t_gradientTarget = input;
        try
        {
            Backward(output);
        }
        finally
        {
            t_gradientTarget = null;
        }
        return input.Grad ?? Tensor.ZerosLike(input, input.Shape);
    }

    /// <summary>Drops the gradients of every recorded op output (leaf gradients are left as they are).</summary>
    public void ClearGradients()
    {
        for (int i = 0; i < _count; i++) _entries[i].Output.Grad = null;
    }

    /// <summary>
    /// The gradient buffer of <paramref name="input"/>, created as zeros on first use; null if it needs none.
    /// </summary>
    internal static Tensor? GradOf(Tensor? input)
    {
        if (input is null || !input.RequiresGrad) return null;
        if (t_gradientTarget is not null && !input.ProducedByTape && !ReferenceEquals(input, t_gradientTarget))
            return null;
        return input.Grad ??= Tensor.ZerosLike(input, input.Shape);
    }

    /// <summary>
    /// Like <see cref="GradOf(Tensor?)"/>, but a gradient that does not exist yet is created uninitialised and
    /// <paramref name="overwrite"/> is set: the caller then MUST write every element of it (GEMM with beta = 0,
    /// a non-accumulating kernel) before anything else touches it. An existing gradient is returned with
    /// <paramref name="overwrite"/> false and must be accumulated into. Saves zero-filling buffers that the
    /// first contribution overwrites anyway. Fetch it right before the write: a later fetch of the same tensor
    /// (an op whose inputs alias) then sees an initialised gradient.
    /// </summary>
    internal static Tensor? GradOf(Tensor? input, out bool overwrite)
    {
        overwrite = false;
        if (input is null || !input.RequiresGrad) return null;
        if (t_gradientTarget is not null && !input.ProducedByTape && !ReferenceEquals(input, t_gradientTarget))
            return null;
        if (input.Grad is not null) return input.Grad;
        overwrite = true;
        return input.Grad = Tensor.EmptyLike(input, input.Shape);
    }

    /// <summary>Restores the previous recording state when disposed.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly Tape? _previous;

        internal Scope(Tape? previous) => _previous = previous;

        /// <inheritdoc />
        public void Dispose() => t_current = _previous;
    }
}
