using System.Text.Json;

namespace Amortized.Inference.Adapters;

/// <summary>
/// A transform applied value by value to each listed key (computed in double, stored as float32). The
/// Jacobian is diagonal, so log|det J| of a row is the sum of log|dy/dx| over the key's last axis.
/// </summary>
internal abstract class ElementwiseTransform : IAdapterTransform
{
    protected ElementwiseTransform(string[] keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Length == 0) throw new ArgumentException(
            $"Adapter.{GetType().Name}: expected at least one key, got none.", nameof(keys));
        Keys = keys;
    }

    public string[] Keys { get; }

    public abstract string TypeName { get; }
    public virtual string DisplayName => TypeName;
    public IEnumerable<string> NamedKeys => Keys;

    /// <summary>
    /// y = f(x) for a value in feature column <paramref name="feature"/> (index along the last axis).
    /// </summary>
    internal abstract double ForwardValue(double x, int feature);

    /// <summary>x = f^-1(y).</summary>
    internal abstract double InverseValue(double y, int feature);

    /// <summary>x = f^-1(y) within an adapter pass, whose settings a transform may consult.</summary>
    internal virtual double InverseValue(double y, int feature, AdapterContext context) => InverseValue(y, feature);

    /// <summary>log|dy/dx| at x.</summary>
    internal abstract double LogDerivative(double x, int feature);

    /// <summary>Whether the transform changes densities (false for shift).</summary>
    protected virtual bool HasLogDet => true;

    public void Forward(AdapterContext context) => Apply(context, inverse: false);

    public void Inverse(AdapterContext context) => Apply(context, inverse: true);

    private void Apply(AdapterContext context, bool inverse)
    {
        foreach (string key in Keys)
        {
            if (!context.Require(key, DisplayName)) continue;
            float[] src = context.Data.Get(key);
            ReadOnlySpan<int> shape = context.Data.Shape(key);
            int last = shape.Length > 1 ? shape[^1] : 1;
            CheckFeatures(key, last);
            var dst = new float[src.Length];
            float[]? logDet = context.LogDet is not null && HasLogDet
                ? new float[last == 0 ? 0 : src.Length / last] : null;
            for (int i = 0; i < src.Length; i++)
            {
                int feature = i % last;
                double v = src[i];
                if (!inverse)
                {
                    dst[i] = (float)ForwardValue(v, feature);
                    if (logDet is not null) logDet[i / last] += (float)LogDerivative(v, feature);
                }
                else
                {
                    double x = InverseValue(v, feature, context);
                    dst[i] = (float)x;
                    // log|dx/dy| = -log|dy/dx| at x = f^-1(y).
                    if (logDet is not null) logDet[i / last] -= (float)LogDerivative(x, feature);
                }
            }
            context.Data.SetCore(key, dst, shape.ToArray(), false);
            if (logDet is not null) context.AddLogDet(key, logDet);
        }
    }

    /// <summary>
    /// Checks per-feature parameters against the last axis (override when parameters are per feature).
    /// </summary>
    protected virtual void CheckFeatures(string key, int lastAxis) { }

    public void Write(Utf8JsonWriter writer)
    {
        AdapterJson.WriteStrings(writer, "keys", Keys);
        WriteFields(writer);
    }

    protected virtual void WriteFields(Utf8JsonWriter writer) { }
}

/// <summary>y = log(x), or log(1 + x) with <c>p1</c>.</summary>
internal sealed class LogTransform(string[] keys, bool p1) : ElementwiseTransform(keys)
{
    public bool P1 { get; } = p1;
    public override string TypeName => "log";
    internal override double ForwardValue(double x, int f) => P1 ? Math.Log(1 + x) : Math.Log(x);
    internal override double InverseValue(double y, int f) => P1 ? Math.Exp(y) - 1 : Math.Exp(y);
    internal override double LogDerivative(double x, int f) => P1 ? -Math.Log(1 + x) : -Math.Log(x);
    protected override void WriteFields(Utf8JsonWriter w) => w.WriteBoolean("p1", P1);
}

/// <summary>y = sqrt(x).</summary>
internal sealed class SqrtTransform(string[] keys) : ElementwiseTransform(keys)
{
    public override string TypeName => "sqrt";
    internal override double ForwardValue(double x, int f) => Math.Sqrt(x);
    internal override double InverseValue(double y, int f) => y * y;
    internal override double LogDerivative(double x, int f) =>
        -Math.Log(2) - 0.5 * Math.Log(x); // dy/dx = 1 / (2 sqrt x)
}

/// <summary>y = scale * x.</summary>
internal sealed class ScaleTransform(string[] keys, double scale) : ElementwiseTransform(keys)
{
    public double Scale { get; } =
        scale == 0 ? throw new ArgumentException("Adapter.Scale: scale must be nonzero; got 0.", nameof(scale)) : scale;
    public override string TypeName => "scale";
    internal override double ForwardValue(double x, int f) => Scale * x;
    internal override double InverseValue(double y, int f) => y / Scale;
    internal override double LogDerivative(double x, int f) => Math.Log(Math.Abs(Scale));
    protected override void WriteFields(Utf8JsonWriter w) => w.WriteNumber("scale", Scale);
}

/// <summary>y = x + shift (volume preserving).</summary>
internal sealed class ShiftTransform(string[] keys, double shift) : ElementwiseTransform(keys)
{
    public double Shift { get; } = shift;
    public override string TypeName => "shift";
    protected override bool HasLogDet => false;
    internal override double ForwardValue(double x, int f) => x + Shift;
    internal override double InverseValue(double y, int f) => y - Shift;
    internal override double LogDerivative(double x, int f) => 0;
    protected override void WriteFields(Utf8JsonWriter w) => w.WriteNumber("shift", Shift);
}

/// <summary>y = (x - mean) / std with fixed mean and std, one value or one per feature of the last axis.</summary>
internal sealed class StandardizeTransform : ElementwiseTransform
{
    public StandardizeTransform(string[] keys, double[] mean, double[] std) : base(keys)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Length == 0 || mean.Length != std.Length)
            throw new ArgumentException($"Adapter.Standardize: mean has {mean.Length} values and std {std.Length}; " +
                "expected the same nonzero count.", nameof(std));
        foreach (double s in std)
            if (!(s > 0)) throw new ArgumentException($"Adapter.Standardize: std must be > 0; got {s}.", nameof(std));
        Mean = mean;
        Std = std;
    }

    public double[] Mean { get; }
    public double[] Std { get; }
    public override string TypeName => "standardize";
    private double M(int f) => Mean.Length == 1 ? Mean[0] : Mean[f];
    private double S(int f) => Std.Length == 1 ? Std[0] : Std[f];
    internal override double ForwardValue(double x, int f) => (x - M(f)) / S(f);
    internal override double InverseValue(double y, int f) => y * S(f) + M(f);
    internal override double LogDerivative(double x, int f) => -Math.Log(S(f));

    protected override void CheckFeatures(string key, int lastAxis)
    {
        if (Mean.Length != 1 && Mean.Length != lastAxis)
            throw new ArgumentException($"Adapter.Standardize: key '{key}' has {lastAxis} features on its last axis; " +
                $"expected {Mean.Length} (the length of mean and std).");
    }

    protected override void WriteFields(Utf8JsonWriter w)
    {
        AdapterJson.WriteNumbers(w, "mean", Mean);
        AdapterJson.WriteNumbers(w, "std", Std);
    }
}
