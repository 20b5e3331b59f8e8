using Amortized.Tensors;

namespace Amortized.Inference.Approximators;

/// <summary>
/// Per-feature running mean and variance, accumulated over training batches and frozen outside training, used
/// to standardise network inputs: z = (x - mean) / std. Batches are merged with Chan et al.'s parallel
/// update of (count, mean, M2), in double, so the statistics do not depend on how the data were batched
/// beyond rounding. Rows can be masked out (padding in sets), which BayesFlow's standardisation ignores.
/// </summary>
public sealed class RunningStandardizer
{
    private readonly double[] _mean, _m2;
    private readonly float[] _meanF, _stdF;
    private readonly Tensor _meanTensor, _invStdTensor;
    private Tensor? _deviceMean, _deviceInvStd;   // copies on an accelerator, refreshed when the statistics change
    private int _version, _deviceVersion = -1;

    /// <summary>Creates the statistics for <paramref name="features"/> features.</summary>
    public RunningStandardizer(int features, double minStd = 1e-6)
    {
        if (features <= 0)
            throw new ArgumentOutOfRangeException(nameof(features), features, "Features must be positive.");
        Features = features;
        MinStd = minStd;
        _mean = new double[features];
        _m2 = new double[features];
        _meanF = new float[features];
        _stdF = new float[features];
        Array.Fill(_stdF, 1f);
        // Heap tensors that views of the statistics are read through in every step.
        _meanTensor = Tensor.Wrap(new float[features], 0, new Shape(features));
        _invStdTensor = Tensor.Wrap(new float[features], 0, new Shape(features));
        _invStdTensor.Span.Fill(1f);
    }

    /// <summary>F.</summary>
    public int Features { get; }

    /// <summary>Floor of the standard deviation (constant features are not blown up).</summary>
    public double MinStd { get; }

    /// <summary>Rows seen so far.</summary>
    public double Count { get; private set; }

    /// <summary>Current means (F).</summary>
    public ReadOnlySpan<float> Mean => _meanF;

    /// <summary>Current standard deviations (F).</summary>
    public ReadOnlySpan<float> Std => _stdF;

    /// <summary>
    /// Adds rows of <paramref name="values"/> (rows x F, row-major); when <paramref name="rowMask"/> is given,
    /// rows with mask 0 are skipped.
    /// </summary>
    public void Update(ReadOnlySpan<float> values, ReadOnlySpan<float> rowMask = default)
    {
        int rows = values.Length / Features;
        if (rows * Features != values.Length)
            throw new ArgumentException($"RunningStandardizer: {values.Length} values are not whole rows of " +
                $"{Features} features.", nameof(values));
        if (!rowMask.IsEmpty && rowMask.Length != rows)
            throw new ArgumentException(
                $"RunningStandardizer: mask has {rowMask.Length} entries for {rows} rows.", nameof(rowMask));
        // Batch statistics first (two passes in double), then one Chan merge into the running state.
        Span<double> batchMean = Features <= 256 ? stackalloc double[Features] : new double[Features];
        Span<double> batchM2 = Features <= 256 ? stackalloc double[Features] : new double[Features];
        batchMean.Clear();
        batchM2.Clear();
        double n = 0;
        for (int r = 0; r < rows; r++)
        {
            if (!rowMask.IsEmpty && rowMask[r] == 0f) continue;
            n++;
            for (int f = 0; f < Features; f++) batchMean[f] += values[r * Features + f];
        }
        if (n == 0) return;
        for (int f = 0; f < Features; f++) batchMean[f] /= n;
        for (int r = 0; r < rows; r++)
        {
            if (!rowMask.IsEmpty && rowMask[r] == 0f) continue;
            for (int f = 0; f < Features; f++)
            {
                double d = values[r * Features + f] - batchMean[f];
                batchM2[f] += d * d;
            }
        }
        double total = Count + n;
        for (int f = 0; f < Features; f++)
        {
            double delta = batchMean[f] - _mean[f];
            _mean[f] += delta * n / total;
            _m2[f] += batchM2[f] + delta * delta * Count * n / total;
        }
        Count = total;
        Refresh();
    }

    /// <summary>Restores a saved state (count, means, M2).</summary>
    public void SetState(double count, ReadOnlySpan<double> mean, ReadOnlySpan<double> m2)
    {
        if (mean.Length != Features || m2.Length != Features)
            throw new ArgumentException($"RunningStandardizer: state has {mean.Length} means and {m2.Length} M2 " +
                $"values; expected {Features}.");
        Count = count;
        mean.CopyTo(_mean);
        m2.CopyTo(_m2);
        Refresh();
    }

    /// <summary>The state (count, means, M2) for checkpoints and model files.</summary>
    public (double Count, double[] Mean, double[] M2) GetState() =>
        (Count, (double[])_mean.Clone(), (double[])_m2.Clone());

    private void Refresh()
    {
        for (int f = 0; f < Features; f++)
        {
            double variance = Count > 1 ? _m2[f] / (Count - 1) : 1.0;
            double std = Math.Max(Math.Sqrt(variance), MinStd);
            _meanF[f] = (float)_mean[f];
            _stdF[f] = (float)std;
            _meanTensor.Span[f] = (float)_mean[f];
            _invStdTensor.Span[f] = (float)(1.0 / std);
        }
        _version++;
    }

    /// <summary>z = (x - mean) / std, differentiable in x; x is (..., F).</summary>
    public Tensor Standardize(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.IsOnHost) return (x - _meanTensor) * _invStdTensor;
        var backend = x.Backend;
        if (_deviceMean is null || !ReferenceEquals(_deviceMean.Backend, backend))
        {
            _deviceMean = backend.Allocate(_meanTensor.Shape);
            _deviceInvStd = backend.Allocate(_invStdTensor.Shape);
            _deviceVersion = -1;
        }
        if (_deviceVersion != _version)
        {
            // 2 F floats per change (once per training step while the statistics are updated; never in inference).
            backend.Upload(_meanTensor.Span, _deviceMean);
            backend.Upload(_invStdTensor.Span, _deviceInvStd!);
            _deviceVersion = _version;
        }
        return (x - _deviceMean) * _deviceInvStd!;
    }

    /// <summary>x = z * std + mean, in place on a flat (rows x F) array.</summary>
    public void Destandardize(Span<float> values)
    {
        for (int i = 0; i < values.Length; i++) values[i] = values[i] * _stdF[i % Features] + _meanF[i % Features];
    }

    /// <summary>log|det dz/dx| per row = -sum log std (a constant).</summary>
    public float LogDetJacobian()
    {
        double sum = 0;
        for (int f = 0; f < Features; f++) sum -= Math.Log(_stdF[f]);
        return (float)sum;
    }
}
