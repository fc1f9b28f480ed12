using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Framework;
using Quorum.Core.Plugins;
using Quorum.Core.Profiles;
using Quorum.Core.Snapshot;
using Quorum.Core.Topology;

namespace Quorum.Benchmarks.Simulation;

/// <summary>
/// A model of the default kube-scheduler: every pod on its own, no gangs, no topology. Pods are
/// taken in activeQ order (priority, then creation time, then name); for each, nodes are filtered
/// (the same filters Quorum runs) starting where the previous pod's search stopped, until
/// percentageOfNodesToScore worth of feasible nodes is found (adaptive default: 50% − nodes/125,
/// at least 5% and 100 nodes); the feasible node with the most free resources wins (LeastAllocated
/// over cpu, memory and nvidia.com/gpu, weight 1 each), ties broken at random as selectHost does.
/// </summary>
/// <remarks>
/// Pods of a gang bind as they fit, so a gang can hold GPUs with fewer pods than it needs to start:
/// the partial-gang deadlock the simulator counts.
/// </remarks>
public sealed class KubeSchedulerBaseline(TopologySpec topology, int seed) : ISchedulerModel
{
    private readonly Random _ties = new(unchecked(seed * 104_729 + 3));
    private readonly FilterChain _filters = SchedulerProfile.Default().Filters;
    private int _nextStart;

    public string Name => "kube-scheduler";

    /// <summary>The real tree, used only to tell when a group's minimum is running; the scheduler ignores it.</summary>
    public GangTree TreeFor(Workload workload) =>
        PodGroupValidator.Validate(workload.Spec, n => n == topology.Name ? topology : null, topology.Name).Tree
        ?? throw new InvalidOperationException($"generated group {workload.Spec.Key} is invalid");

    public int LastTried { get; private set; }

    public IReadOnlyList<Placement> Schedule(ClusterSnapshot snapshot, IReadOnlyList<GroupState> groups)
    {
        LastTried = groups.Count;
        var queue = new List<(GroupState Group, int Index, Pod Pod)>();
        foreach (var g in groups)
            for (var i = 0; i < g.Members.Length; i++)
                if (!g.Members[i].IsBound) queue.Add((g, i, g.Members[i]));
        queue.Sort((a, b) =>
        {
            var c = b.Pod.Priority.CompareTo(a.Pod.Priority);
            if (c != 0) return c;
            c = a.Pod.CreationTimestamp.CompareTo(b.Pod.CreationTimestamp);
            return c != 0 ? c : ObjectKey.Ordinal.Compare(a.Pod.Key, b.Pod.Key);
        });

        var nodes = snapshot.Nodes.ToList();
        var placements = new List<Placement>();
        var statement = new Statement(snapshot);
        // Free capacity only shrinks during a step, so a request shape that found no node cannot
        // find one later in the same step: skip the scan (same outcome, far less work when many
        // pods of stuck gangs are retried).
        var failed = new HashSet<(IReadOnlyDictionary<string, string>, ResourceVector)>();
        foreach (var (group, index, pod) in queue)
        {
            if (failed.Contains((pod.NodeSelector, pod.Requests))) continue;
            var slot = SelectNode(pod, nodes);
            if (slot < 0)
            {
                failed.Add((pod.NodeSelector, pod.Requests));
                continue;
            }
            statement.Allocate(pod, slot);
            placements.Add(new Placement(group, index, snapshot[slot]!.Name));
        }
        statement.Commit();
        return placements;
    }

    private int SelectNode(Pod pod, List<NodeInfo> nodes)
    {
        var n = nodes.Count;
        if (n == 0) return -1;
        var toFind = FeasibleNodesToFind(n);
        int found = 0, best = -1, ties = 0, processed = 0;
        var bestScore = double.MinValue;
        for (; processed < n && found < toFind; processed++)
        {
            var node = nodes[(_nextStart + processed) % n];
            if (!_filters.Passes(pod, node)) continue;
            found++;
            var score = LeastAllocated(pod, node);
            if (score > bestScore)
            {
                bestScore = score;
                best = node.Slot;
                ties = 1;
            }
            else if (score == bestScore && _ties.Next(++ties) == 0)
            {
                best = node.Slot;
            }
        }
        _nextStart = (_nextStart + processed) % n;
        return best;
    }

    /// <summary>kube-scheduler's numFeasibleNodesToFind with percentageOfNodesToScore unset.</summary>
    internal static int FeasibleNodesToFind(int nodes)
    {
        const int minFeasible = 100;
        if (nodes < minFeasible) return nodes;
        var percentage = Math.Max(5, 50 - nodes / 125);
        return Math.Max(minFeasible, (int)((long)nodes * percentage / 100));
    }

    private static double LeastAllocated(Pod pod, NodeInfo node)
    {
        var alloc = node.Node.Allocatable;
        var used = node.Requested + pod.Requests;
        double sum = 0;
        var weights = 0;
        Add(alloc.MilliCpu, used.MilliCpu);
        Add(alloc.Memory, used.Memory);
        Add(alloc.Gpu, used.Gpu);
        return weights == 0 ? 0 : sum / weights;

        void Add(long capacity, long requested)
        {
            if (capacity <= 0) return;
            sum += Math.Floor((capacity - requested) * 100.0 / capacity);
            weights++;
        }
    }
}
