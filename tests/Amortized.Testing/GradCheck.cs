using System.Globalization;
using System.Text;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;
using Xunit.Sdk;

namespace Amortized.Testing;

/// <summary>
/// Checks the tape's gradients against central finite differences (torch.autograd.gradcheck, adapted to an
/// engine that only runs in float32).
/// </summary>
/// <remarks>
/// <para>The scalar checked is L(x) = sum_i r_i f(x)_i with fixed random weights r in [-1, 1], accumulated in
/// double, so every output element and every input element is checked in one pass: the tape gives dL/dx
/// through <see cref="WeightedSumOp"/> (not through the engine's own Mul and Sum), and the differences give
/// (L(x + h e_j) - L(x - h e_j)) / (x_j+ - x_j-) for every element j of every input, with x_j+ and x_j- the float32
/// values actually used.</para>
/// <para>Why these numbers. f runs in float32, so each output carries a rounding error of a few ulps
/// (about 1e-7 relative); divided by 2h that becomes the difference's noise, about 1e-5 relative for
/// h = 1e-2. The truncation error of a central difference is h^2 f'''/6, about 2e-5 for O(1) third
/// derivatives. Both sit well below <see cref="DefaultRtol"/> = 1e-2 and <see cref="DefaultAtol"/> = 2e-3
/// on O(1) gradients (over the Tensors test suite, correct ops reach at most 0.11 of the tolerance), while a
/// wrong backward is caught: a gradient off by 2% or more on any element of size 0.2 or larger fails (the
/// GradCheck tests feed it backward rules scaled by 1.05, 0.98 and 1.02 and one that forgets a broadcast term). Inputs must keep a distance larger than the step from kinks (relu at 0,
/// clamp bounds, ties of a max).</para>
/// </remarks>
public static class GradCheck
{
    /// <summary>Relative step h = DefaultStep * max(1, |x_j|).</summary>
    public const double DefaultStep = 1e-2;

    /// <summary>Absolute tolerance on a gradient element.</summary>
    public const double DefaultAtol = 2e-3;

    /// <summary>Relative tolerance on a gradient element (times |numeric gradient|).</summary>
    public const double DefaultRtol = 1e-2;

    private const int MismatchesShown = 6;

    /// <summary>Throws with a report unless every input's gradient matches the finite differences.</summary>
    public static void Assert(string label, Func<Tensor[], Tensor> f, params Tensor[] inputs) =>
        Assert(label, new GradCheckOptions(), f, inputs);

    /// <inheritdoc cref="Assert(string, Func{Tensor[], Tensor}, Tensor[])"/>
    public static void Assert(string label, GradCheckOptions options, Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var result = Check(f, inputs, options, label);
        if (!result.Passed) throw new XunitException(result.Report);
    }

    /// <summary>
    /// Compares the tape's gradient of sum_i r_i f(inputs)_i with respect to every input with central
    /// differences. The inputs are restored afterwards; their <see cref="Tensor.Grad"/> is left holding the
    /// analytic gradient.
    /// </summary>
    public static GradCheckResult Check(Func<Tensor[], Tensor> f, Tensor[] inputs, GradCheckOptions? options = null,
        string label = "f")
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(inputs);
        options ??= new GradCheckOptions();

        double[] weights = [];
        Shape outputShape = default;
        var analytic = new float[inputs.Length][];
        var requiresGrad = new bool[inputs.Length];
        for (int k = 0; k < inputs.Length; k++)
        {
            requiresGrad[k] = inputs[k].RequiresGrad;
            inputs[k].RequiresGrad = true;
            inputs[k].Grad = null;
        }
        try
        {
            var tape = new Tape();
            using (tape.Record())
            {
                var y = f(inputs);
                outputShape = y.Shape;
                weights = Weights(y.Size, options.WeightSeed);
                var loss = WeightedSumOp.Forward(y, weights);
                if (loss.RequiresGrad) tape.Backward(loss);   // false when f ignores its inputs: all gradients are 0
            }
            for (int k = 0; k < inputs.Length; k++)
            {
                var grad = inputs[k].Grad;
                if (grad is not null && grad.Shape != inputs[k].Shape)
                    return new GradCheckResult(false, double.PositiveInfinity,
                        $"{label}: the gradient of input {k} has shape {grad.Shape}, the input {inputs[k].Shape}.");
                analytic[k] = grad?.ToArray() ?? new float[inputs[k].Size];
            }
        }
        finally
        {
            for (int k = 0; k < inputs.Length; k++) inputs[k].RequiresGrad = requiresGrad[k];
        }

        return Compare(f, inputs, analytic, weights, outputShape, options, label);
    }

    private static GradCheckResult Compare(Func<Tensor[], Tensor> f, Tensor[] inputs, float[][] analytic, double[] weights,
        Shape outputShape, GradCheckOptions options, string label)
    {
        var mismatches = new StringBuilder();
        int failed = 0, checkedCount = 0;
        double worst = 0;
        using (Tape.NoGrad())
        {
            for (int k = 0; k < inputs.Length; k++)
            {
                var x = inputs[k];
                for (int j = 0; j < x.Size; j++)
                {
                    double numeric = CentralDifference(f, inputs, x, j, weights, outputShape, options.Step);
                    double g = analytic[k][j];
                    double tol = options.Atol + options.Rtol * Math.Abs(numeric);
                    double ratio = double.IsFinite(g) && double.IsFinite(numeric)
                        ? Math.Abs(g - numeric) / tol
                        : double.PositiveInfinity;
                    worst = Math.Max(worst, ratio);
                    checkedCount++;
                    if (ratio <= 1) continue;
                    if (failed < MismatchesShown)
                        mismatches.Append(CultureInfo.InvariantCulture,
                            $"\n  input {k} {x.Shape} at {NumericAssert.FormatIndex(j, x.Shape)} (x = {x.Span[j]:G6}): " +
                            $"analytic {g:G6}, numeric {numeric:G6}, |diff| {Math.Abs(g - numeric):G3} > tol {tol:G3}");
                    failed++;
                }
            }
        }

        var header = new StringBuilder();
        header.Append(CultureInfo.InvariantCulture, $"GradCheck {label}: inputs ");
        for (int k = 0; k < inputs.Length; k++) header.Append(k == 0 ? "" : ", ").Append(inputs[k].Shape.ToString());
        header.Append(CultureInfo.InvariantCulture,
            $" -> output {outputShape}; step {options.Step:G3}, atol {options.Atol:G3}, rtol {options.Rtol:G3}; " +
            $"worst |diff|/tol {worst:G3}");
        if (failed == 0) return new GradCheckResult(true, worst, header.Append("; passed.").ToString());
        header.Append(CultureInfo.InvariantCulture, $"; {failed} of {checkedCount} gradient elements differ. First mismatches:")
            .Append(mismatches);
        return new GradCheckResult(false, worst, header.ToString());
    }

    /// <summary>(L(x + h e_j) - L(x - h e_j)) / (x_j+ - x_j-), with the float32 values actually stored.</summary>
    private static double CentralDifference(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor x, int j, double[] weights,
        Shape outputShape, double step)
    {
        float original = x.Span[j];
        double h = step * Math.Max(1.0, Math.Abs(original));
        float plus = (float)(original + h), minus = (float)(original - h);
        x.Span[j] = plus;
        double lossPlus = Loss(f, inputs, weights, outputShape);
        x.Span[j] = minus;
        double lossMinus = Loss(f, inputs, weights, outputShape);
        x.Span[j] = original;
        return (lossPlus - lossMinus) / ((double)plus - minus);
    }

    private static double Loss(Func<Tensor[], Tensor> f, Tensor[] inputs, double[] weights, Shape outputShape)
    {
        var y = f(inputs);
        if (y.Shape != outputShape)
            throw new InvalidOperationException(
                $"GradCheck: f returned shape {y.Shape} after returning {outputShape}; it must not depend on input values.");
        return WeightedSumOp.Evaluate(y.Span, weights);
    }

    private static double[] Weights(int count, ulong seed)
    {
        var rng = new Rng(seed);
        var w = new double[count];
        // float32-representable, so the tape (which stores r in float32) and the differences use the same r.
        for (int i = 0; i < count; i++) w[i] = (float)(2.0 * rng.NextDouble() - 1.0);
        return w;
    }
}
