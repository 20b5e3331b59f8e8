using Amortized.Tensors.Autodiff;

namespace Amortized.Tensors.Ops;

/// <summary>
/// The shared plumbing of the fused coupling ops (<see cref="AffineCouplingOp"/>, <see cref="SplineCouplingOp"/>):
/// x (B, D) and per-row parameters (B, D * P) in, y (B, D) and logDet (B) out, one backend call each way.
/// </summary>
/// <remarks>
/// Two outputs on a one-output tape: the op records two entries, logDet's then y's, which share one backward. The
/// tape walks them in reverse after every consumer of either output, so both gradients are final when the first of
/// them runs: y's entry runs the whole backward with dLogDet (or none); logDet's entry runs it only when y received
/// no gradient (then y's entry was skipped), and otherwise does nothing. An entry keeps the other output in
/// Saved0, the direction in I1, which of the two it is in I2, and the op's settings in I0 and F0..F3.
/// </remarks>
internal abstract class CouplingOp : Op
{
    /// <summary>
    /// Throws unless x is (B, D) and parameters (B, D * <paramref name="perFeature"/>), on one device.
    /// </summary>
    protected static void CheckInputs(string name, Tensor x, Tensor parameters, int perFeature, string layout)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(parameters);
        if (x.Rank != 2 || parameters.Rank != 2 || parameters.Shape[0] != x.Shape[0]
            || parameters.Shape[1] != perFeature * x.Shape[1])
            throw new ArgumentException(
                $"{name}: x is {x.Shape} and parameters {parameters.Shape}; expected x (B, D) and parameters {layout}.",
                nameof(parameters));
        Tensor.CheckSameDevice(name, x, parameters);
    }

    /// <summary>Records both outputs when an input requires a gradient.</summary>
    protected void Record(Tensor x, Tensor parameters, Tensor y, Tensor logDet, bool inverse,
        int setting, float f0 = 0f, float f1 = 0f, float f2 = 0f, float f3 = 0f)
    {
        if (!Tape.ShouldRecord(x, parameters)) return;
        Push(logDet, y, x, parameters, inverse, primary: false, setting, f0, f1, f2, f3);
        Push(y, logDet, x, parameters, inverse, primary: true, setting, f0, f1, f2, f3);
    }

    private void Push(Tensor output, Tensor other, Tensor x, Tensor parameters, bool inverse, bool primary,
        int setting, float f0, float f1, float f2, float f3)
    {
        var e = Tape.Push(this, output, x, parameters);
        e.Saved0 = other;
        e.I0 = setting;
        e.I1 = inverse ? 1 : 0;
        e.I2 = primary ? 1 : 0;
        e.F0 = f0;
        e.F1 = f1;
        e.F2 = f2;
        e.F3 = f3;
    }

    public sealed override void Backward(TapeEntry e)
    {
        bool primary = e.I2 == 1;
        Tensor y = primary ? e.Output : e.Saved0!, logDet = primary ? e.Saved0! : e.Output;
        if (!primary && y.Grad is not null) return;                           // y's entry already did it all
        var x = e.A!;
        var parameters = e.B!;
        var dx = Tape.GradOf(x, out bool dxOverwrite);
        var dParameters = Tape.GradOf(parameters, out bool dParametersOverwrite);
        if (dx is null && dParameters is null) return;
        Backward(e, x, parameters, e.I1 == 1, y.Grad, logDet.Grad, dx, dxOverwrite, dParameters, dParametersOverwrite);
    }

    /// <summary>The backend's backward call with the entry's settings.</summary>
    protected abstract void Backward(TapeEntry e, Tensor x, Tensor parameters,
        bool inverse, Tensor? dy, Tensor? dLogDet,
        Tensor? dx, bool dxOverwrite, Tensor? dParameters, bool dParametersOverwrite);
}
