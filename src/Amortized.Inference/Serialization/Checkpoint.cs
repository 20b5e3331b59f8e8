using System.Text;
using System.Text.Json;
using Amortized.Inference.Approximators;

namespace Amortized.Inference.Serialization;

/// <summary>
/// A training checkpoint: parameters, approximator state, optimizer moments, best weights so far and the
/// history, the position inside an epoch when the run stopped in one, and the settings that decide the result, in
/// one model file written atomically. Restoring it into the same approximator and trainer options continues the run
/// exactly (bitwise on the CPU for the same thread count); other settings are refused.
/// </summary>
public static class Checkpoint
{
    private const string Kind = "checkpoint";

    /// <summary>
    /// Writes the checkpoint of <paramref name="approximator"/> and its trainer's <paramref name="state"/>.
    /// </summary>
    public static void Save(string path, ITrainableApproximator approximator, TrainerState state)
    {
        ArgumentNullException.ThrowIfNull(approximator);
        ArgumentNullException.ThrowIfNull(state);
        var tensors = ApproximatorFile.Tensors(approximator.Store.Parameters, approximator.ExportState());
        tensors["optimizer/m"] = TensorEntry.Float32(state.FirstMoment, state.FirstMoment.Length);
        tensors["optimizer/v"] = TensorEntry.Float32(state.SecondMoment, state.SecondMoment.Length);
        if (state.BestValues is not null)
            tensors["best/values"] = TensorEntry.Float32(state.BestValues, state.BestValues.Length);
        if (state.BestState is not null)
            foreach (var (key, values) in state.BestState)
                tensors["best_state/" + key] = TensorEntry.Float64(values, values.Length);
        ModelFile.Write(path, Manifest(state), tensors);
    }

    /// <summary>
    /// Loads a checkpoint's weights and state into <paramref name="approximator"/> (built as before) and returns the
    /// trainer state to import into a trainer with the same options.
    /// </summary>
    public static TrainerState Restore(string path, ITrainableApproximator approximator)
    {
        ArgumentNullException.ThrowIfNull(approximator);
        var contents = ModelFile.Read(path);
        try
        {
            using var doc = JsonDocument.Parse(contents.ManifestJson);
            var root = doc.RootElement;
            if (root.GetProperty("kind").GetString() != Kind)
                throw new InvalidDataException($"Model file '{path}': not a checkpoint.");
            ApproximatorFile.ImportTensors(contents.Tensors, approximator.Store, approximator.ImportState);
            var history = new List<EpochRecord>();
            foreach (var e in root.GetProperty("history").EnumerateArray())
            {
                history.Add(new EpochRecord(e.GetProperty("epoch").GetInt32(), ReadDouble(e, "train_loss"),
                    e.GetProperty("validation_loss").ValueKind == JsonValueKind.Null
                        ? null : e.GetProperty("validation_loss").GetDouble(),
                    ReadDouble(e, "learning_rate"), ReadDouble(e, "seconds"),
                    e.GetProperty("skipped_steps").GetInt32(), e.GetProperty("dropped_rows").GetInt32()));
            }
            Dictionary<string, double[]>? bestState = null;
            foreach (var (name, entry) in contents.Tensors)
            {
                if (!name.StartsWith("best_state/", StringComparison.Ordinal)) continue;
                bestState ??= new Dictionary<string, double[]>(StringComparer.Ordinal);
                bestState[name["best_state/".Length..]] = entry.AsFloat64();
            }
            bool hasBest = contents.Tensors.TryGetValue("best/values", out var best);
            var bestScore = root.GetProperty("best_score");
            return new TrainerState(history,
                root.GetProperty("steps").GetInt64(),
                root.GetProperty("best_epoch").ValueKind == JsonValueKind.Null
                    ? null : root.GetProperty("best_epoch").GetInt32(),
                root.GetProperty("simulated_batches").GetInt64(),
                root.GetProperty("optimizer_step").GetInt64(),
                contents.Tensors["optimizer/m"].AsFloat32(),
                contents.Tensors["optimizer/v"].AsFloat32(),
                hasBest ? best!.AsFloat32() : null,
                hasBest ? bestState ?? new Dictionary<string, double[]>() : null,
                bestScore.ValueKind == JsonValueKind.Null ? double.PositiveInfinity : bestScore.GetDouble(),
                root.GetProperty("epochs_without_improvement").GetInt32(),
                ReadPosition(root),
                root.TryGetProperty("consecutive_non_finite", out var nonFinite) ? nonFinite.GetInt32() : 0,
                ReadSettings(root),
                path);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or JsonException or InvalidOperationException
            or ArgumentException or FormatException)
        {
            throw new InvalidDataException(
                $"Model file '{path}': the checkpoint could not be restored: {ex.Message}", ex);
        }
    }

    private static string Manifest(TrainerState state)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("kind", Kind);
            w.WriteNumber("steps", state.Steps);
            if (state.BestEpoch is { } be) w.WriteNumber("best_epoch", be); else w.WriteNull("best_epoch");
            w.WriteNumber("simulated_batches", state.SimulatedBatches);
            w.WriteNumber("optimizer_step", state.OptimizerStep);
            if (double.IsFinite(state.BestScore)) w.WriteNumber("best_score", state.BestScore);
            else w.WriteNull("best_score");
            w.WriteNumber("epochs_without_improvement", state.EpochsWithoutImprovement);
            w.WriteNumber("consecutive_non_finite", state.ConsecutiveNonFinite);
            if (state.Position is { } p)
            {
                w.WriteStartObject("position");
                w.WriteNumber("next_batch", p.NextBatch);
                WriteDouble(w, "loss_sum", p.LossSum);
                w.WriteNumber("loss_count", p.LossCount);
                w.WriteNumber("skipped_steps", p.SkippedSteps);
                w.WriteNumber("dropped_rows", p.DroppedRows);
                WriteDouble(w, "seconds", p.Seconds);
                w.WriteEndObject();
            }
            if (state.Settings is { } settings)
            {
                w.WriteStartObject("settings");
                foreach (var (key, value) in settings) w.WriteString(key, value);
                w.WriteEndObject();
            }
            w.WriteStartArray("history");
            foreach (var e in state.Epochs)
            {
                w.WriteStartObject();
                w.WriteNumber("epoch", e.Epoch);
                WriteDouble(w, "train_loss", e.TrainLoss);
                if (e.ValidationLoss is { } v && double.IsFinite(v)) w.WriteNumber("validation_loss", v);
                else w.WriteNull("validation_loss");
                WriteDouble(w, "learning_rate", e.LearningRate);
                WriteDouble(w, "seconds", e.Seconds);
                w.WriteNumber("skipped_steps", e.SkippedSteps);
                w.WriteNumber("dropped_rows", e.DroppedRows);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The position inside an epoch, or null for a checkpoint written at an epoch boundary.</summary>
    private static EpochPosition? ReadPosition(JsonElement root)
    {
        if (!root.TryGetProperty("position", out var p) || p.ValueKind == JsonValueKind.Null) return null;
        int next = p.GetProperty("next_batch").GetInt32();
        if (next < 0) throw new FormatException($"position.next_batch is {next}; it must be 0 or more.");
        return new EpochPosition(next, ReadDouble(p, "loss_sum"), p.GetProperty("loss_count").GetInt32(),
            p.GetProperty("skipped_steps").GetInt32(), p.GetProperty("dropped_rows").GetInt32(),
            ReadDouble(p, "seconds"));
    }

    /// <summary>The recorded settings, or null for a checkpoint written before they were recorded.</summary>
    private static Dictionary<string, string>? ReadSettings(JsonElement root)
    {
        if (!root.TryGetProperty("settings", out var settings) || settings.ValueKind == JsonValueKind.Null)
            return null;
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in settings.EnumerateObject())
            result[property.Name] = property.Value.GetString()
                ?? throw new FormatException($"settings.{property.Name} is null; it must be a string.");
        return result;
    }

    // JSON has no NaN: a non-finite value (e.g. the loss of an epoch whose steps were all skipped) is written
    // as null and read back as NaN.
    private static void WriteDouble(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, value);
        else w.WriteNull(name);
    }

    private static double ReadDouble(JsonElement e, string name)
    {
        var v = e.GetProperty(name);
        return v.ValueKind == JsonValueKind.Null ? double.NaN : v.GetDouble();
    }
}
