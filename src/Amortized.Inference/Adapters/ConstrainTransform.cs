using System.Text.Json;

namespace Amortized.Inference.Adapters;

/// <summary>
/// Maps values with a lower bound, an upper bound or both to the real line (forward) and back (inverse). The
/// bounds are widened by epsilon (times the interval width, or times max(1, |bound|) for one bound) so data that
/// sits exactly on a bound maps to a finite value.
/// </summary>
internal sealed class ConstrainTransform : ElementwiseTransform
{
    private readonly double _lo, _hi;

    public ConstrainTransform(string[] keys, double? lower, double? upper,
        ConstraintMethod method, double epsilon) : base(keys)
    {
        if (lower is null && upper is null)
            throw new ArgumentException(
                "Adapter.Constrain: expected a lower bound, an upper bound or both; got neither.");
        if (lower is { } l && upper is { } u && !(u > l))
            throw new ArgumentException($"Adapter.Constrain: upper bound {u} must exceed lower bound {l}.");
        if (!(epsilon >= 0))
            throw new ArgumentException($"Adapter.Constrain: epsilon must be >= 0; got {epsilon}.", nameof(epsilon));
        bool both = lower is not null && upper is not null;
        if (method == ConstraintMethod.Default) method = both ? ConstraintMethod.Sigmoid : ConstraintMethod.Softplus;
        if (method != ConstraintMethod.Reject && both != (method == ConstraintMethod.Sigmoid))
            throw new ArgumentException($"Adapter.Constrain: method {method} does not fit " +
                $"{(both ? "two bounds (use Sigmoid)" : "one bound (use Softplus or Exp)")}.", nameof(method));
        Lower = lower;
        Upper = upper;
        Method = method;
        Epsilon = epsilon;
        if (both)
        {
            double width = upper!.Value - lower!.Value;
            _lo = lower.Value - epsilon * width;
            _hi = upper.Value + epsilon * width;
        }
        else if (lower is { } lo) _lo = lo - epsilon * Math.Max(1, Math.Abs(lo));
        else _hi = upper!.Value + epsilon * Math.Max(1, Math.Abs(upper.Value));
    }

    public double? Lower { get; }
    public double? Upper { get; }
    public ConstraintMethod Method { get; }
    public double Epsilon { get; }
    public override string TypeName => "constrain";

    /// <summary>Distance to the (widened) bound for one-sided constraints.</summary>
    private double Gap(double x) => Lower is not null ? x - _lo : _hi - x;

    private double FromGap(double z) => Lower is not null ? _lo + z : _hi - z;

    /// <summary>Whether x lies inside the declared (not widened) bounds.</summary>
    private bool Inside(double x) => !(Lower is { } l && x < l) && !(Upper is { } u && x > u);

    internal override double ForwardValue(double x, int f)
    {
        if (Method == ConstraintMethod.Reject) return x;
        if (Method == ConstraintMethod.Sigmoid)
        {
            double u = (x - _lo) / (_hi - _lo);
            return Math.Log(u) - Math.Log(1 - u);
        }
        double z = Gap(x);
        return Method == ConstraintMethod.Exp ? Math.Log(z) : LogExpm1(z);
    }

    /// <summary>
    /// Maps back and clamps to the declared bounds: the epsilon widening that keeps data on a bound finite in the
    /// forward direction would otherwise let draws land up to epsilon outside the support (for example a prior
    /// density of zero at theta = -1.000002 under U(-1, 1)).
    /// </summary>
    /// <remarks>
    /// Under <see cref="ConstraintMethod.Reject"/> a draw outside the bounds becomes NaN: the approximator's sampler
    /// sees the mark and draws that row again (see <see cref="Adapter.RejectsOutsideSupport"/>).
    /// </remarks>
    internal override double InverseValue(double y, int f, AdapterContext context) =>
        Method == ConstraintMethod.Reject && context.ClampRejected && !Inside(y)
            ? Math.Clamp(y, Lower ?? double.NegativeInfinity, Upper ?? double.PositiveInfinity)
            : InverseValue(y, f);

    internal override double InverseValue(double y, int f)
    {
        if (Method == ConstraintMethod.Reject) return Inside(y) ? y : double.NaN;
        double x = Method == ConstraintMethod.Sigmoid
            ? _lo + (_hi - _lo) / (1 + Math.Exp(-y))
            : FromGap(Method == ConstraintMethod.Exp ? Math.Exp(y) : Softplus(y));
        // A one-sided support is open at its bound (a log-normal has no mass at 0), so draws stop one float inside.
        bool open = Method != ConstraintMethod.Sigmoid;
        if (Lower is { } l && x <= l) x = open ? MathF.BitIncrement((float)l) : l;
        if (Upper is { } u && x >= u) x = open ? MathF.BitDecrement((float)u) : u;
        return x;
    }

    internal override double LogDerivative(double x, int f)
    {
        // Identity inside; outside (or a rejected NaN) the density is zero, which -inf carries into log q.
        if (Method == ConstraintMethod.Reject) return Inside(x) && !double.IsNaN(x) ? 0 : double.NegativeInfinity;
        if (Method == ConstraintMethod.Sigmoid)
        {
            // y = logit(u), u = (x - lo) / w: dy/dx = 1 / (w u (1 - u)).
            double w = _hi - _lo, u = (x - _lo) / w;
            return -Math.Log(w) - Math.Log(u) - Math.Log(1 - u);
        }
        double z = Gap(x);
        // exp: y = log z, |dy/dx| = 1/z. softplus: y = log(expm1 z), |dy/dx| = e^z / expm1(z), log of it = z - y.
        return Method == ConstraintMethod.Exp ? -Math.Log(z) : z - LogExpm1(z);
    }

    /// <summary>log(e^z - 1), stable for large z.</summary>
    private static double LogExpm1(double z) => z > 20 ? z + Math.Log(-ExpM1(-z)) : Math.Log(ExpM1(z));

    /// <summary>e^x - 1 without cancellation near 0 (Kahan's trick: (u - 1) x / log u with u = e^x).</summary>
    internal static double ExpM1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        double um1 = u - 1.0;
        if (um1 == -1.0) return -1.0;
        return um1 * x / Math.Log(u);
    }

    /// <summary>log(1 + e^y), stable for large |y|.</summary>
    private static double Softplus(double y) => Math.Max(y, 0) + Math.Log(1 + Math.Exp(-Math.Abs(y)));

    protected override void WriteFields(Utf8JsonWriter w)
    {
        if (Lower is { } l) w.WriteNumber("lower", l);
        if (Upper is { } u) w.WriteNumber("upper", u);
        w.WriteString("method", Method.ToString().ToLowerInvariant());
        w.WriteNumber("epsilon", Epsilon);
    }
}
