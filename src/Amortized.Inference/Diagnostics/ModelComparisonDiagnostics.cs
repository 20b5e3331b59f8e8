using System.Text;
using System.Text.Json;

namespace Amortized.Inference.Diagnostics;

/// <summary>
/// The calibration curve of one model's predicted probability, one model against the rest: the probabilities p_k
/// (B) put in equal-width bins of [0, 1] (the last bin closed), and per bin the mean prediction and the observed
/// frequency of model k. A calibrated classifier lies on the diagonal.
/// </summary>
/// <param name="Model">k.</param>
/// <param name="MeanPredicted">Mean p_k per bin (bins); NaN for an empty bin.</param>
/// <param name="ObservedFrequency">Fraction of rows of model k per bin (bins); NaN for an empty bin.</param>
/// <param name="Counts">Rows per bin (bins).</param>
/// <param name="ExpectedCalibrationError">sum over non-empty bins of (n_bin / B) |observed - predicted|.</param>
public sealed record CalibrationCurve(int Model, double[] MeanPredicted, double[] ObservedFrequency, int[] Counts,
    double ExpectedCalibrationError);

/// <summary>
/// Pure diagnostics of posterior model probabilities. Shapes: probabilities (B, K) row-major (rows sum to 1),
/// targets (B, K) one-hot true models; the true and predicted model of a row are its argmax (the first on ties).
/// </summary>
public static class ModelComparisonDiagnostics
{
    /// <summary>The calibration curve of model <paramref name="model"/> over <paramref name="numBins"/> bins.</summary>
    /// <remarks>
    /// Naeini, Cooper and Hauskrecht (2015), Obtaining well calibrated probabilities using Bayesian binning, AAAI.
    /// Even perfect probabilities have an ECE above 0 on a finite B: each bin adds sampling noise of order
    /// sqrt(p (1 - p) / n_bin).
    /// </remarks>
    public static CalibrationCurve Calibration(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> targets,
        int numModels, int model, int numBins = 10)
    {
        int b = CheckShapes(probabilities, targets, numModels);
        if (numBins <= 0) throw new ArgumentOutOfRangeException(nameof(numBins), numBins,
            "Calibration: the number of bins must be positive.");
        if ((uint)model >= (uint)numModels) throw new ArgumentOutOfRangeException(nameof(model), model,
            $"Calibration: expected a model in 0 to {numModels - 1}.");
        var count = new int[numBins];
        var sumProbability = new double[numBins];
        var sumOutcome = new double[numBins];
        for (int i = 0; i < b; i++)
        {
            double p = Math.Clamp(probabilities[i * numModels + model], 0f, 1f);
            int bin = Math.Min((int)(p * numBins), numBins - 1);   // [j/n, (j+1)/n), the last bin closed
            count[bin]++;
            sumProbability[bin] += p;
            sumOutcome[bin] += ArgMax(targets.Slice(i * numModels, numModels)) == model ? 1 : 0;
        }
        double error = 0;
        var predicted = new double[numBins];
        var observed = new double[numBins];
        for (int j = 0; j < numBins; j++)
        {
            if (count[j] > 0) error += Math.Abs(sumOutcome[j] - sumProbability[j]) / b;   // (n/B) |mean o - mean p|
            predicted[j] = count[j] > 0 ? sumProbability[j] / count[j] : double.NaN;
            observed[j] = count[j] > 0 ? sumOutcome[j] / count[j] : double.NaN;
        }
        return new CalibrationCurve(model, predicted, observed, count, error);
    }

    /// <summary>Counts (K, K): entry [true, predicted] is the number of rows of that true and predicted model.</summary>
    public static int[,] ConfusionMatrix(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> targets, int numModels)
    {
        int b = CheckShapes(probabilities, targets, numModels);
        var matrix = new int[numModels, numModels];
        for (int i = 0; i < b; i++)
            matrix[ArgMax(targets.Slice(i * numModels, numModels)),
                ArgMax(probabilities.Slice(i * numModels, numModels))]++;
        return matrix;
    }

    /// <summary>The fraction of rows whose most probable model is the true one; NaN for no rows.</summary>
    public static double Accuracy(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> targets, int numModels)
    {
        int b = CheckShapes(probabilities, targets, numModels);
        int correct = 0;
        for (int i = 0; i < b; i++)
            if (ArgMax(targets.Slice(i * numModels, numModels)) == ArgMax(
                probabilities.Slice(i * numModels, numModels))) correct++;
        return b == 0 ? double.NaN : (double)correct / b;
    }

    internal static int CheckShapes(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> targets, int numModels)
    {
        if (numModels < 2) throw new ArgumentOutOfRangeException(nameof(numModels), numModels,
            "ModelComparisonMetrics: expected at least 2 models.");
        if (probabilities.Length % numModels != 0 || targets.Length != probabilities.Length)
            throw new ArgumentException(
                $"ModelComparisonMetrics: probabilities have {probabilities.Length} values and targets " +
                $"{targets.Length}; expected two arrays of the same length, a multiple of K = {numModels} (B, K).",
                nameof(targets));
        return probabilities.Length / numModels;
    }

    internal static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int k = 1; k < row.Length; k++) if (row[k] > row[best]) best = k;
        return best;
    }
}

/// <summary>
/// The diagnostics of a model-comparison approximator on held-out simulations: accuracy, the confusion matrix and
/// every model's calibration curve and expected calibration error.
/// </summary>
public sealed class ModelComparisonReport
{
    private ModelComparisonReport(IReadOnlyList<string> names, float[] probabilities, float[] targets, int bins)
    {
        int k = names.Count;
        ModelNames = names;
        Probabilities = probabilities;
        Targets = targets;
        Datasets = probabilities.Length / k;
        Accuracy = ModelComparisonDiagnostics.Accuracy(probabilities, targets, k);
        Confusion = ModelComparisonDiagnostics.ConfusionMatrix(probabilities, targets, k);
        var curves = new CalibrationCurve[k];
        for (int m = 0; m < k; m++)
            curves[m] = ModelComparisonDiagnostics.Calibration(probabilities, targets, k, m, bins);
        Calibration = curves;
    }

    /// <summary>
    /// Computes the report from probabilities (B, K) and one-hot targets (B, K) with <paramref name="numBins"/>
    /// calibration bins.
    /// </summary>
    public static ModelComparisonReport Compute(float[] probabilities, float[] targets, IReadOnlyList<string> modelNames,
        int numBins = 10)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(modelNames);
        int b = ModelComparisonDiagnostics.CheckShapes(probabilities, targets, modelNames.Count);
        if (b == 0) throw new ArgumentException("ModelComparisonReport: no rows (B = 0).", nameof(probabilities));
        return new ModelComparisonReport([.. modelNames], probabilities, targets, numBins);
    }

    /// <summary>K model names.</summary>
    public IReadOnlyList<string> ModelNames { get; }

    /// <summary>B, the number of held-out data sets.</summary>
    public int Datasets { get; }

    /// <summary>Predicted probabilities (B, K).</summary>
    public float[] Probabilities { get; }

    /// <summary>One-hot true models (B, K).</summary>
    public float[] Targets { get; }

    /// <summary>Fraction of data sets whose most probable model is the true one.</summary>
    public double Accuracy { get; }

    /// <summary>(K, K) counts: [true, predicted].</summary>
    public int[,] Confusion { get; }

    /// <summary>Per model (K): the calibration curve and its expected calibration error.</summary>
    public IReadOnlyList<CalibrationCurve> Calibration { get; }

    /// <summary>
    /// The summary numbers as JSON: datasets, accuracy, the confusion matrix (rows: true model), and per model its
    /// ECE and calibration bins (empty bins' means as null).
    /// </summary>
    public string ToJson()
    {
        int k = ModelNames.Count;
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("method", "model-comparison");
            w.WriteNumber("datasets", Datasets);
            w.WriteStartArray("models");
            foreach (var name in ModelNames) w.WriteStringValue(name);
            w.WriteEndArray();
            JsonNumbers.Write(w, "accuracy", Accuracy);
            w.WriteStartArray("confusion_matrix");
            for (int t = 0; t < k; t++)
            {
                w.WriteStartArray();
                for (int p = 0; p < k; p++) w.WriteNumberValue(Confusion[t, p]);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteStartArray("calibration");
            foreach (var c in Calibration)
            {
                w.WriteStartObject();
                w.WriteString("model", ModelNames[c.Model]);
                w.WriteNumber("expected_calibration_error", c.ExpectedCalibrationError);
                w.WriteStartArray("bins");
                for (int j = 0; j < c.Counts.Length; j++)
                {
                    w.WriteStartObject();
                    w.WriteNumber("count", c.Counts[j]);
                    JsonNumbers.Write(w, "mean_predicted", c.MeanPredicted[j]);
                    JsonNumbers.Write(w, "observed_frequency", c.ObservedFrequency[j]);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
