using Amortized.Inference.Diagnostics;

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
        ModelComparisonDiagnostics.CheckShapes(probabilities, targets, numModels);
        if (numBins <= 0) throw new ArgumentOutOfRangeException(nameof(numBins), numBins,
            "ExpectedCalibrationError: the number of bins must be positive.");
        var result = new double[numModels];
        for (int k = 0; k < numModels; k++)
            result[k] = ModelComparisonDiagnostics.Calibration(probabilities, targets, numModels, k, numBins)
                .ExpectedCalibrationError;
        return result;
    }

    /// <summary>
    /// Counts (K, K): entry [true, predicted] is the number of rows of that true and predicted model.
    /// </summary>
    public static int[,] ConfusionMatrix(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> targets,
        int numModels) => ModelComparisonDiagnostics.ConfusionMatrix(probabilities, targets, numModels);

    /// <summary>The fraction of rows whose most probable model is the true one.</summary>
    public static double Accuracy(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> targets, int numModels) =>
        ModelComparisonDiagnostics.Accuracy(probabilities, targets, numModels);
}
