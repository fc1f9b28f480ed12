using System.Diagnostics;
using System.Text.Json;

namespace Quorum.Tests.Benchmarks;

/// <summary>The simulator and optimality check, run as a user runs them (a separate process).</summary>
public class SimulatorCommandTests
{
    private static string Dll()
    {
        // Scheduler.Tests/bin/<Configuration>/net10.0 → Scheduler.Benchmarks/bin/<Configuration>/net10.0
        var dir = AppContext.BaseDirectory.Replace($"{Path.DirectorySeparatorChar}Scheduler.Tests{Path.DirectorySeparatorChar}",
            $"{Path.DirectorySeparatorChar}Scheduler.Benchmarks{Path.DirectorySeparatorChar}", StringComparison.Ordinal);
        var dll = Path.Combine(dir, "Scheduler.Benchmarks.dll");
        Assert.That(File.Exists(dll), Is.True, $"{dll} is built by the solution");
        return dll;
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Dll());
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.That(p.WaitForExit(TimeSpan.FromMinutes(3)), Is.True, "simulator finished");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private static JsonElement Simulate(params string[] extra)
    {
        var file = Path.Combine(Path.GetTempPath(), $"quorum-sim-{Guid.NewGuid():N}.json");
        var (code, _, err) = Run(["simulate", "--nodes", "360", "--duration", "3600", "--json", file, .. extra]);
        Assert.That(code, Is.EqualTo(0), err);
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        return doc.RootElement.Clone();
    }

    [Test]
    public void Simulate_writes_exactly_the_documented_summary()
    {
        var summary = Simulate().GetProperty("summary");
        Assert.That(summary.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[]
        {
            "nodes", "gpus", "pods", "groups", "admittedGroups", "latencyMs", "podsPerSecond", "gpuAllocation",
            "tightestDomainRate", "fragmentation", "managedMemoryBytes", "decisionsPerPod", "stepLatencyMs",
        }));
        Assert.That(summary.GetProperty("latencyMs").EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "p50", "p90", "p99", "max" }));
        Assert.That(summary.GetProperty("nodes").GetInt32(), Is.EqualTo(360));
        Assert.That(summary.GetProperty("gpus").GetInt32(), Is.EqualTo(1440));
        Assert.That(summary.GetProperty("admittedGroups").GetInt32(), Is.GreaterThan(0).And.LessThanOrEqualTo(summary.GetProperty("groups").GetInt32()));
    }

    [Test]
    public void The_same_seed_gives_the_same_schedule()
    {
        string[] keys = ["pods", "groups", "admittedGroups", "gpuAllocation", "tightestDomainRate", "fragmentation"];
        var a = Simulate("--seed", "7", "--profile", "hgx-h100").GetProperty("summary");
        var b = Simulate("--seed", "7", "--profile", "hgx-h100").GetProperty("summary");
        Assert.That(keys.Select(k => b.GetProperty(k).GetRawText()), Is.EqualTo(keys.Select(k => a.GetProperty(k).GetRawText())));
    }

    [Test]
    public void Compared_with_pod_by_pod_scheduling_Quorum_never_leaves_a_gang_half_placed_and_packs_tighter()
    {
        var compare = Simulate("--compare", "--workload", "training").GetProperty("compare");
        var quorum = compare.GetProperty("quorum");
        var kube = compare.GetProperty("kubeScheduler");
        var flat = compare.GetProperty("gangNoTopology");
        Assert.Multiple(() =>
        {
            Assert.That(quorum.GetProperty("partialGangGroups").GetInt32(), Is.EqualTo(0));
            Assert.That(kube.GetProperty("partialGangGroups").GetInt32(), Is.GreaterThan(0));
            Assert.That(quorum.GetProperty("tightestDomainRate").GetDouble(), Is.GreaterThan(flat.GetProperty("tightestDomainRate").GetDouble()));
            Assert.That(quorum.GetProperty("tightestDomainRate").GetDouble(), Is.GreaterThan(kube.GetProperty("tightestDomainRate").GetDouble()));
        });
    }

    [Test]
    public void A_bad_flag_exits_2_naming_it()
    {
        var (code, _, err) = Run("simulate", "--nodes", "lots");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("--nodes"));
        Assert.That(err, Does.Contain("lots"));
    }

    [Test]
    public void Quorum_never_admits_more_than_the_proven_optimum()
    {
        var file = Path.Combine(Path.GetTempPath(), $"quorum-opt-{Guid.NewGuid():N}.json");
        var (code, _, err) = Run("optimality", "--nodes", "36", "--groups", "6", "--trials", "2", "--time-limit", "20", "--json", file);
        Assert.That(code, Is.EqualTo(0), err);
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        foreach (var t in doc.RootElement.GetProperty("optimality").GetProperty("trials").EnumerateArray())
        {
            if (!t.GetProperty("exactProven").GetBoolean()) continue;
            Assert.That(t.GetProperty("quorumGpus").GetInt64(), Is.LessThanOrEqualTo(t.GetProperty("exactGpus").GetInt64()));
            Assert.That(t.GetProperty("exactGivenQuorumGpus").GetInt64(), Is.GreaterThanOrEqualTo(t.GetProperty("quorumGpus").GetInt64()),
                "the optimum keeping Quorum's groups admits at least what Quorum placed");
        }
    }
}
