namespace Amortized.Inference.Approximators;

/// <summary>
/// Pure diagnostics of posterior model probabilities. Shapes: probabilities (B, K) row-major (rows sum to 1),
/// targets (B, K) one-hot true models (as <c>model_indices</c>); the true and predicted model of a row are its
/// argmax (the first on ties).
/// </summary>
public static class ModelComparisonMetrics
{
    /// <summary>
    /// Expected calibration error per model (K), one model against the rest: the probabilities p_k are put in
    /// <paramref name="numBins"/> equal-width bins of [0, 1], and ECE_k = sum_bins (n_bin / B) |mean 1[model = k] -
    /// mean p_k| over the non-empty bins (BayesFlow's <c>expected_calibration_error</c>).
    /// </summary>
    /// <remarks>
    /// Naeini, Cooper and Hauskrecht (2015), Obtaining well calibrated probabilities using Bayesian binning, AAAI.
    /// Even perfect probabilities score above 0 on a finite B: each bin adds sampling noise of order
    /// sqrt(p (1 - p) / n_bin).
    /// </remarks>
    public static double[] ExpectedCalibrationError(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> targets,
        int numModels, int numBins = 10)
    {
        int b = CheckShapes(probabilities, targets, numModels);
        if (numBins <= 0) throw new ArgumentOutOfRangeException(nameof(numBins), numBins,
            "ExpectedCalibrationError: the number of bins must be positive.");
        var count = new int[numBins];
        var sumProbability = new double[numBins];
        var sumOutcome = new double[numBins];
        var result = new double[numModels];
        for (int k = 0; k < numModels; k++)
        {
            Array.Clear(count);
            Array.Clear(sumProbability);
            Array.Clear(sumOutcome);
            for (int i = 0; i < b; i++)
            {
                double p = Math.Clamp(probabilities[i * numModels + k], 0f, 1f);
                int bin = Math.Min((int)(p * numBins), numBins - 1);   // [j/n, (j+1)/n), the last bin closed
                count[bin]++;
                sumProbability[bin] += p;
                sumOutcome[bin] += ArgMax(targets.Slice(i * numModels, numModels)) == k ? 1 : 0;
            }
            double error = 0;
            for (int j = 0; j < numBins; j++)
                if (count[j] > 0) error += Math.Abs(sumOutcome[j] - sumProbability[j]) / b;   // (n/B) |mean o - mean p|
            result[k] = error;
        }
        return result;
    }

    /// <summary>
    /// Counts (K, K): entry [true, predicted] is the number of rows of that true and predicted model.
    /// </summary>
    public static int[,] ConfusionMatrix(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> targets, int numModels)
    {
        int b = CheckShapes(probabilities, targets, numModels);
        var matrix = new int[numModels, numModels];
        for (int i = 0; i < b; i++)
            matrix[ArgMax(targets.Slice(i * numModels, numModels)),
                ArgMax(probabilities.Slice(i * numModels, numModels))]++;
        return matrix;
    }

    /// <summary>The fraction of rows whose most probable model is the true one.</summary>
    public static double Accuracy(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> targets, int numModels)
    {
        int b = CheckShapes(probabilities, targets, numModels);
        int correct = 0;
        for (int i = 0; i < b; i++)
            if (ArgMax(targets.Slice(i * numModels, numModels)) == ArgMax(
                probabilities.Slice(i * numModels, numModels))) correct++;
        return b == 0 ? double.NaN : (double)correct / b;
    }

    private static int CheckShapes(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> targets, int numModels)
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

    private static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int k = 1; k < row.Length; k++) if (row[k] > row[best]) best = k;
        return best;
    }
}
