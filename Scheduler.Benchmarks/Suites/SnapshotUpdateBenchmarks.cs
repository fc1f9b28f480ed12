using BenchmarkDotNet.Attributes;
using Quorum.Core.Model;
using Quorum.Benchmarks.Simulation;
using Quorum.Core.Snapshot;

namespace Quorum.Benchmarks.Suites;

/// <summary>
/// Cost of bringing a snapshot up to date after one node changed (a pod bound, then deleted), at
/// growing cluster sizes — the incremental design promises this stays flat as the cluster grows —
/// and, for contrast, of a full copy (what a live WhatIf pays).
/// </summary>
[MemoryDiagnoser]
public class SnapshotUpdateBenchmarks
{
    private ClusterCache _cache = null!;
    private ClusterSnapshot _snapshot = null!;
    private Pod _pod = null!;
    private int _i;

    [Params(1_000, 10_000, 100_000)]
    public int Nodes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var profile = ClusterProfile.Gb200Nvl72;
        _cache = new ClusterCache();
        _cache.SetTopology(profile.Topology);
        foreach (var n in profile.Nodes(Nodes)) _cache.AddOrUpdateNode(n);
        _snapshot = new ClusterSnapshot();
        _cache.UpdateSnapshot(_snapshot);
        _pod = Pods.Gpu("bench", "p", 1);
    }

    /// <summary>One pod bound on one node, snapshot updated; then deleted, snapshot updated.</summary>
    [Benchmark]
    public long OneChangedNode()
    {
        var node = $"node-{_i++ % Nodes:D6}";
        _cache.AddOrUpdatePod(_pod with { NodeName = node });
        _cache.UpdateSnapshot(_snapshot);
        _cache.RemovePod(_pod.Key);
        _cache.UpdateSnapshot(_snapshot);
        return _snapshot.Generation;
    }

    /// <summary>A fresh snapshot of the whole cluster: what each live WhatIf pays for its private copy.</summary>
    [Benchmark]
    public long FullCopy()
    {
        var copy = new ClusterSnapshot();
        _cache.UpdateSnapshot(copy);
        return copy.Generation;
    }
}
