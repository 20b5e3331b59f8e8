using Amortized.Inference.Adapters;
using Amortized.Inference.Simulators;
using Xunit;

namespace Amortized.Inference.Tests.Adapters;

/// <summary>Adapter.Group and Adapter.Ungroup: flat member keys, inverses and JSON round trips.</summary>
public sealed class GroupTransformTests
{
    private static SimulationBatch Data() => new SimulationBatch(2)
        .Set("x_set", [1, 2, 3, 4, 5, 6], 2, 3, 1)
        .Set("x_ts", [7, 8, 9, 10], 2, 2, 1)
        .Set("mask_x_set", [1, 1, 0, 1, 1, 1], 2, 3)
        .Set("theta", [0.5f, -0.5f], 2);

    [Fact]
    public void Group_MovesMembersUnderTheGroup_AndInverts()
    {
        var adapter = new Adapter().Group(["x_set", "x_ts"], Keys.SummaryVariables)
            .Group(["mask_x_set"], Keys.SummaryMask, prefix: "mask_");
        var data = Data();
        var adapted = adapter.Forward(data);
        Assert.Equal(new[] { "summary_mask/x_set", "summary_variables/x_set", "summary_variables/x_ts", "theta" },
            adapted.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(data.Get("x_set"), adapted.Get(Keys.GroupMember(Keys.SummaryVariables, "x_set")));
        Assert.Equal([2, 2, 1], adapted.Shape("summary_variables/x_ts").ToArray());
        // Traced back from what a fusion network reads, the members are the raw keys.
        var raw = adapter.RawInputs([new("summary_variables/x_set", [3, 1]), new("summary_variables/x_ts", [2, 1])]);
        Assert.Equal(["x_set", "x_ts"], raw.Select(r => r.Key));
        Assert.Equal([3, 1], raw[0].Value!);
        var back = Adapter.FromJson(adapter.ToJson()).Inverse(adapted, strict: true);
        Assert.Equal(data.Keys.Order(), back.Keys.Order());
        foreach (string k in data.Keys) Assert.Equal(data.Get(k), back.Get(k));
    }

    [Fact]
    public void Ungroup_FlattensWithAPrefix_RecordsMembers_AndRegroups()
    {
        var adapter = new Adapter().Group(["x_set", "x_ts"], "obs").Ungroup("obs", prefix: "flat_");
        var adapted = adapter.Forward(Data());
        Assert.True(adapted.Contains("flat_x_set") && adapted.Contains("flat_x_ts"));
        Assert.DoesNotContain(adapted.Keys, k => k.StartsWith("obs/", StringComparison.Ordinal));
        string json = adapter.ToJson();
        Assert.Contains("\"members\"", json);
        var loaded = Adapter.FromJson(json);
        Assert.Equal(json, loaded.ToJson());
        var back = loaded.Inverse(adapted, strict: true);
        Assert.Equal(Data().Get("x_ts"), back.Get("x_ts"));
        Assert.False(back.Contains("flat_x_ts"));
    }

    [Fact]
    public void BadGroups_FailNamingTheKey()
    {
        var missing = Assert.Throws<KeyNotFoundException>(() => new Adapter().Group(["x_set", "nope"], "g").Forward(Data()));
        Assert.Contains("'nope'", missing.Message);
        var prefix = Assert.Throws<ArgumentException>(() => new Adapter().Group(["x_set"], "g", prefix: "mask_"));
        Assert.Contains("'x_set'", prefix.Message);
        var plain = Assert.Throws<InvalidOperationException>(() => new Adapter().Group(["x_set"], "theta").Forward(Data()));
        Assert.Contains("'theta'", plain.Message);
        var empty = Assert.Throws<KeyNotFoundException>(() => new Adapter().Ungroup("none").Forward(Data()));
        Assert.Contains("'none'", empty.Message);
        Assert.Throws<ArgumentException>(() => new Adapter().Group(["x_set"], "a/b"));
    }
}
