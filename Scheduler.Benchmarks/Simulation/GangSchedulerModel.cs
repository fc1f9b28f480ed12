using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Placement;
using Quorum.Core.Framework;
using Quorum.Core.Plugins;
using Quorum.Core.Profiles;
using Quorum.Core.Queue;
using Quorum.Core.Snapshot;
using Quorum.Core.Topology;

namespace Quorum.Benchmarks.Simulation;

/// <summary>
/// Quorum's real <see cref="SchedulingQueue"/> and <see cref="SchedulingCycle"/> (minima in queue
/// order, then extras, starvation reservation), as the host drives them: a refused group parks until
/// capacity frees on a node it could use (the queueing hint), its backoff or the longest park
/// (podMaxInUnschedulablePodsDuration) runs out. With <c>topologyAware: false</c> it is the same gang admission with every group's
/// topology constraints removed and no default topology, so groups pack on the flat node list:
/// what a gang scheduler without topology would do.
/// </summary>
public sealed class GangSchedulerModel : ISchedulerModel
{
    private readonly bool _topologyAware;
    private readonly TopologySpec _topology;
    private readonly SchedulingCycle _cycle;
    private readonly SchedulingQueue _queue;
    private readonly Dictionary<ObjectKey, int> _queued = [];
    private readonly HashSet<string> _freed = new(StringComparer.Ordinal);
    private Reservation? _reservation;

    public GangSchedulerModel(TopologySpec topology, TimeProvider time, bool topologyAware)
    {
        _topology = topology;
        _topologyAware = topologyAware;
        var options = new PlacementOptions { DefaultTopology = topologyAware ? topology.Name : null };
        _cycle = new SchedulingCycle(new GangAdmission(SchedulerProfile.Default(options)), time);
        _queue = new SchedulingQueue(time, new QueueOptions { StarvationThreshold = options.StarvationThreshold });
    }

    public string Name => _topologyAware ? "quorum" : "gang-no-topology";

    public GangTree TreeFor(Workload workload)
    {
        var spec = _topologyAware ? workload.Spec : workload.SpecWithoutTopology();
        var v = PodGroupValidator.Validate(spec, n => n == _topology.Name ? _topology : null, _topologyAware ? _topology.Name : null);
        return v.Tree ?? throw new InvalidOperationException($"generated group {spec.Key} is invalid: {string.Join("; ", v.Errors)}");
    }

    public int LastTried { get; private set; }

    public void CapacityFreed(string node) => _freed.Add(node);

    public IReadOnlyList<Placement> Schedule(ClusterSnapshot snapshot, IReadOnlyList<GroupState> groups)
    {
        // The simulator's waiting and elastic groups are the queue's content: new ones join, withdrawn
        // ones leave, and a group whose pods this scheduler bound gets its fresh members in its lane.
        var byKey = new Dictionary<ObjectKey, GroupState>(groups.Count);
        foreach (var g in groups)
        {
            var key = g.Tree.Spec.Key;
            byKey[key] = g;
            if (_queued.TryGetValue(key, out var bound) && bound == g.Bound) continue;
            _queued[key] = g.Bound;
            _queue.Refresh(new GangRequest(g.Tree, g.Members));
        }
        if (_queued.Count > byKey.Count)
        {
            foreach (var gone in _queued.Keys.Where(k => !byKey.ContainsKey(k)).ToList())
            {
                _queued.Remove(gone);
                _queue.Remove(gone);
            }
        }
        if (_freed.Count > 0)
        {
            _queue.OnCapacityFreed(_freed, snapshot, _cycle.Admission.Profile.Filters, _reservation);
            _freed.Clear();
        }
        var ready = _queue.Ready();
        LastTried = ready.Count;
        if (ready.Count == 0) return [];
        var result = _cycle.Run(snapshot, ready);
        _queue.Reserving = result.Reservation?.Group;
        _reservation = result.Reservation;
        var placements = new List<Placement>();
        foreach (var d in result.Decisions)
        {
            _queue.Done(d);
            if (!d.Admitted) continue;
            var g = byKey[d.Group];
            foreach (var p in d.Placements) placements.Add(new Placement(g, g.IndexOf(p.Pod), p.Node));
        }
        return placements;
    }
}
