using System.Diagnostics;
using Quorum.Core.Model;
using Quorum.Core.Snapshot;
using Quorum.Core.Topology;

namespace Quorum.Benchmarks.Simulation;

/// <summary>
/// Discrete-event simulation of one scheduler on one cluster and workload stream, on a simulated
/// clock. Each step, at the next event (no sooner than one cycle period after the last step):
/// departures and withdrawals remove their pods from the cache (and tell the scheduler where capacity
/// freed), arrivals join the queue; then the snapshot is updated and the scheduler decides for the
/// groups its queue holds ready (Quorum: new or changed groups, and parked ones a freed node could
/// help; a baseline without a queue: all of them); every placement is
/// assumed in the cache and at once confirmed by a bound-pod event, as a successful bind would be.
/// </summary>
/// <remarks>
/// Groups tried in a step: every group still waiting below its minimum (new arrivals included) and
/// every started group with pods left to place. A started group runs for its duration from the
/// step its minimum was bound.
/// </remarks>
public sealed class Simulator
{
    private readonly SimulatedCluster _cluster;
    private readonly IReadOnlyList<Workload> _workloads;
    private readonly ISchedulerModel _model;
    private readonly SimulationSettings _settings;
    private readonly SimulatedClock _clock;
    private readonly Action<double>? _progress;
    private long _allocatedGpus;

    public Simulator(SimulatedCluster cluster, IReadOnlyList<Workload> workloads, Func<SimulatedClock, ISchedulerModel> model,
        SimulationSettings settings, Action<double>? progress = null)
    {
        _cluster = cluster;
        _workloads = workloads;
        _settings = settings;
        _clock = new SimulatedClock();
        _model = model(_clock);
        _progress = progress;
    }

    public SimulationReport Run()
    {
        var wall = Stopwatch.StartNew();
        var metrics = new SimulationMetrics(_cluster);

        // Memory baseline: only the simulator's inputs (cluster description, workload stream) exist.
        // Nodes are copied after it, as a watch delivers fresh objects the cache then holds, so the
        // per-node figure includes the Node specs (label strings stay shared with the inputs).
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var cache = new ClusterCache(_clock);
        cache.SetTopology(_cluster.Topology);
        foreach (var n in _cluster.Nodes) cache.AddOrUpdateNode(new Node(n.Name, n.Allocatable, n.Labels, n.Taints, n.Unschedulable));
        var snapshot = new ClusterSnapshot();
        cache.UpdateSnapshot(snapshot);
        var tree = snapshot.Tree(_cluster.Topology.Name)!;
        metrics.Index(tree);

        var departures = new PriorityQueue<GroupState, (double, int)>();
        var waiting = new List<GroupState>();
        var elastic = new List<GroupState>();
        var tried = new List<GroupState>();
        var next = 0;

        // Warm start: background groups are placed by the scheduler itself in one untimed step at
        // t = 0 and never measured; those that do not fit are dropped.
        var background = new List<GroupState>();
        for (; next < _workloads.Count && _workloads[next].Background; next++)
            background.Add(new GroupState(_workloads[next], _model.TreeFor(_workloads[next])));
        if (background.Count > 0)
        {
            cache.UpdateSnapshot(snapshot);
            Bind(_model.Schedule(snapshot, background), cache, metrics, counted: false);
            foreach (var g in background)
            {
                if (g.MinimumMet())
                {
                    g.Started = true;
                    departures.Enqueue(g, (g.Workload.Duration, g.Workload.Id));
                }
                else
                {
                    Withdraw(g, cache);
                }
            }
            metrics.Allocated(_allocatedGpus);
            // Copy the warm start's nodes into the snapshot now, untimed: otherwise the first
            // measured step would pay for every node the warm start touched.
            cache.UpdateSnapshot(snapshot);
        }

        var last = double.NegativeInfinity;
        var lastProgress = 0L;
        while (true)
        {
            var t = double.PositiveInfinity;
            if (next < _workloads.Count) t = _workloads[next].Arrival;
            if (departures.TryPeek(out _, out var dep)) t = Math.Min(t, dep.Item1);
            if (waiting.Count > 0) t = Math.Min(t, waiting[0].Workload.Arrival + _settings.Patience);
            t = Math.Max(t, last + _settings.CyclePeriod);
            if (t > _settings.Duration) break;
            metrics.Advance(t);
            last = t;
            _clock.Seconds = t;

            while (departures.TryPeek(out var g, out var when) && when.Item1 <= t)
            {
                departures.Dequeue();
                Withdraw(g, cache);
                elastic.Remove(g);
            }
            for (var i = 0; i < waiting.Count;)
            {
                var g = waiting[i];
                // Waiting groups are in arrival order: the first still patient ends the scan.
                if (g.Workload.Arrival + _settings.Patience > t) break;
                waiting.RemoveAt(i);
                Withdraw(g, cache);
                metrics.TimedOutGroups++;
            }
            tried.Clear();
            while (next < _workloads.Count && _workloads[next].Arrival <= t)
            {
                var w = _workloads[next++];
                var g = new GroupState(w, _model.TreeFor(w));
                metrics.Groups++;
                metrics.Pods += w.Pods.Length;
                waiting.Add(g);
            }
            // Every waiting group is handed over; the scheduler's own queue decides which it tries.
            tried.AddRange(waiting);
            tried.AddRange(elastic);

            if (tried.Count > 0)
            {
                var gen2 = GC.CollectionCount(2);
                var sw = Stopwatch.StartNew();
                cache.UpdateSnapshot(snapshot);
                var placements = _model.Schedule(snapshot, tried);
                sw.Stop();
                metrics.RecordStep(sw.ElapsedTicks, _model.LastTried, GC.CollectionCount(2) != gen2);
                Bind(placements, cache, metrics, counted: true);

                foreach (var g in tried)
                {
                    if (!g.Started && g.MinimumMet())
                    {
                        g.Started = true;
                        waiting.Remove(g);
                        metrics.RecordStart(g, snapshot, tree);
                        departures.Enqueue(g, (t + g.Workload.Duration, g.Workload.Id));
                        if (g.HasPending) elastic.Add(g);
                    }
                    else if (g.Started && !g.HasPending)
                    {
                        elastic.Remove(g);
                    }
                }
                if (waiting.Count > 0) metrics.SampleUtilisation(tree, waiting);
            }

            metrics.Allocated(_allocatedGpus);

            if (_progress is not null && wall.ElapsedMilliseconds - lastProgress >= 100)
            {
                lastProgress = wall.ElapsedMilliseconds;
                _progress(t / _settings.Duration);
            }
        }
        metrics.Advance(_settings.Duration);
        metrics.PartialAtEnd = waiting.Count(g => g.Bound > 0);
        _progress?.Invoke(1);

        var simulated = _settings.Duration;
        var report = metrics.Report(_model.Name, _cluster.Nodes.Count, _cluster.TotalGpus, simulated, wall.Elapsed.TotalSeconds);

        // Scheduler state only: drop the simulator's bookkeeping first. Pods still running stay in
        // the cache and are counted: a scheduler holds the pods of its cluster.
        departures.Clear();
        waiting.Clear();
        elastic.Clear();
        tried.Clear();
        background.Clear();
        metrics.ReleaseSamples();
        cache.UpdateSnapshot(snapshot);
        var memory = GC.GetTotalMemory(forceFullCollection: true) - baseline;
        GC.KeepAlive(cache);
        GC.KeepAlive(snapshot);
        return report with
        {
            ManagedMemoryBytesTotal = memory,
            ManagedMemoryBytesPerNode = memory / Math.Max(1, _cluster.Nodes.Count),
        };
    }

    private void Bind(IReadOnlyList<Placement> placements, ClusterCache cache, SimulationMetrics metrics, bool counted)
    {
        foreach (var (group, index, node) in placements)
        {
            var pod = group.Members[index];
            var assumed = cache.AssumePod(pod, node);
            if (assumed.Outcome != CacheOutcome.Applied) throw new InvalidOperationException($"assume {pod.Key} on {node}: {assumed}");
            // The watch event that confirms a successful bind.
            var bound = pod with { NodeName = node };
            cache.AddOrUpdatePod(bound);
            group.MarkBound(index, bound);
            _allocatedGpus += bound.Requests.Gpu;
            if (counted) metrics.PodsPlaced++;
        }
    }

    /// <summary>The group's owner deletes it (done, or tired of waiting): its bound pods leave the cache.</summary>
    private void Withdraw(GroupState g, ClusterCache cache)
    {
        foreach (var p in g.Members)
        {
            if (!p.IsBound) continue;
            cache.RemovePod(p.Key);
            _model.CapacityFreed(p.NodeName!);
            _allocatedGpus -= p.Requests.Gpu;
        }
    }
}
