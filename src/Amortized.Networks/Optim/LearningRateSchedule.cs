namespace Amortized.Networks.Optim;

/// <summary>Learning rate as a function of the optimizer step (1-based).</summary>
public abstract class LearningRateSchedule
{
    /// <summary>The learning rate at step <paramref name="step"/> (1 for the first update).</summary>
    public abstract float At(long step);

    /// <summary>A constant rate.</summary>
    public static LearningRateSchedule Constant(float rate) => new ConstantSchedule(rate);

    /// <summary>
    /// Linear warm-up from 0 to <paramref name="peak"/> over <paramref name="warmupSteps"/>, then cosine decay to
    /// <paramref name="final"/> at <paramref name="totalSteps"/> (constant after).
    /// </summary>
    public static LearningRateSchedule WarmupCosine(float peak, long warmupSteps, long totalSteps, float final = 0f) =>
        new WarmupCosineSchedule(peak, warmupSteps, totalSteps, final);

    private sealed class ConstantSchedule(float rate) : LearningRateSchedule
    {
        public override float At(long step) => rate;
    }

    private sealed class WarmupCosineSchedule : LearningRateSchedule
    {
        private readonly float _peak, _final;
        private readonly long _warmup, _total;

        public WarmupCosineSchedule(float peak, long warmup, long total, float final)
        {
            if (warmup < 0 || total <= warmup)
                throw new ArgumentOutOfRangeException(nameof(total),
                    $"WarmupCosine: need 0 <= warmupSteps ({warmup}) < totalSteps ({total}).");
            (_peak, _final, _warmup, _total) = (peak, final, warmup, total);
        }

        public override float At(long step)
        {
            if (step <= _warmup) return _warmup == 0 ? _peak : _peak * step / _warmup;
            if (step >= _total) return _final;
            double progress = (double)(step - _warmup) / (_total - _warmup);
            return (float)(_final + (_peak - _final) * 0.5 * (1 + Math.Cos(Math.PI * progress)));
        }
    }
}
