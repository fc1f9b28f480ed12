using Quorum.Core.Framework;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Placement;
using Quorum.Core.Plugins;
using Quorum.Core.Snapshot;
using Quorum.Core.Topology;

namespace Quorum.Core.Queue;

/// <summary>Where a queued group waits: kube-scheduler's three lanes.</summary>
public enum QueueLane
{
    /// <summary>Ready for the next cycle.</summary>
    Active,

    /// <summary>Failed recently; ready once its backoff expires.</summary>
    Backoff,

    /// <summary>Did not fit; parked until a cluster event could help, or <see cref="QueueOptions.MaxInUnschedulable"/>.</summary>
    Unschedulable,
}

/// <summary>
/// The groups waiting to be scheduled, in kube-scheduler's three lanes (activeQ, backoffQ,
/// unschedulable). A group that did not fit is parked until an event that frees or adds capacity
/// (node added or changed, pod deleted), so a full cluster is not re-searched every cycle; its
/// backoff doubles per attempt. The gang holding the starvation reservation is tried in every
/// cycle, since the reservation exists only in cycles that include it.
/// </summary>
/// <remarks>Not thread-safe: the host serialises events and cycles on one loop.</remarks>
public sealed class SchedulingQueue(TimeProvider time, QueueOptions? options = null, IGangOrder? order = null)
{
    private readonly IGangOrder _order = order ?? PrioritySort.Instance;

    private sealed class Entry(GangRequest request)
    {
        private GangRequest _request = request;
        private long _need = -1;

        public GangRequest Request
        {
            get => _request;
            set
            {
                _request = value;
                _need = -1;
                _shapes = null;
            }
        }

        private List<Pod>? _shapes;

        /// <summary>One pending pod per distinct set of node constraints (selector, affinity, tolerations); computed once per request.</summary>
        public List<Pod> Shapes => _shapes ??= DistinctShapes(_request);

        /// <summary>A lower bound on the GPUs the group's minimum still needs; computed once per request.</summary>
        public long Need => _need >= 0 ? _need : _need = GpusStillNeeded(_request);

        public QueueLane Lane { get; set; }
        public int Attempts { get; set; }
        public DateTimeOffset BackoffUntil { get; set; }
        public DateTimeOffset ParkedAt { get; set; }
        public DateTimeOffset FirstRefused { get; set; } = DateTimeOffset.MaxValue;
        public StatusCode LastCode { get; set; }
    }

    private readonly QueueOptions _options = options ?? new QueueOptions();
    private readonly Dictionary<ObjectKey, Entry> _entries = [];

    public int Count => _entries.Count;

    /// <summary>
    /// The group whose reservation must be kept alive by trying it in every cycle. When a reservation
    /// ends or moves, the nodes it held are open again without any pod leaving them: every parked
    /// group is woken, as on capacity freed where it is not known.
    /// </summary>
    public ObjectKey? Reserving
    {
        get => _reserving;
        set
        {
            if (_reserving is not null && _reserving != value) OnCapacityFreed();
            _reserving = value;
        }
    }

    private ObjectKey? _reserving;

    public QueueLane? LaneOf(ObjectKey group) => _entries.TryGetValue(group, out var e) ? e.Lane : null;

    public int AttemptsOf(ObjectKey group) => _entries.TryGetValue(group, out var e) ? e.Attempts : 0;

    /// <summary>The request the group was last queued with, or null when it is not queued.</summary>
    public GangRequest? Find(ObjectKey group) => _entries.TryGetValue(group, out var e) ? e.Request : null;

    /// <summary>1-based rank of the group in the gang order among every queued group, whatever its lane; 0 when not queued. O(queued).</summary>
    public int PositionOf(ObjectKey group) => _entries.TryGetValue(group, out var e) ? CountAhead(e.Request) + 1 : 0;

    /// <summary>How many queued groups rank ahead of <paramref name="request"/>, which need not be queued itself. O(queued).</summary>
    public int CountAhead(GangRequest request) => _entries.Values.Count(e => e.Request.Key != request.Key && _order.Compare(e.Request, request) < 0);

    /// <summary>When the group was first refused, for "pending for" figures; null if never.</summary>
    public DateTimeOffset? FirstRefused(ObjectKey group) =>
        _entries.TryGetValue(group, out var e) && e.FirstRefused != DateTimeOffset.MaxValue ? e.FirstRefused : null;

    /// <summary>
    /// A group appeared or changed (a member added, its PodGroup edited). A changed group is worth
    /// trying again at once, as kube-scheduler does for an updated pod; backoff still applies.
    /// </summary>
    public void AddOrUpdate(GangRequest request)
    {
        if (_entries.TryGetValue(request.Key, out var e))
        {
            e.Request = request;
            if (e.Lane == QueueLane.Unschedulable) MoveOut(e);
            return;
        }
        _entries[request.Key] = new Entry(request) { Lane = QueueLane.Active };
    }

    public bool Remove(ObjectKey group)
    {
        if (Reserving == group) Reserving = null;
        return _entries.Remove(group);
    }

    /// <summary>
    /// Something may fit now, and which nodes it concerns is not known: every parked group moves to
    /// backoff (or straight to active when its backoff is over).
    /// </summary>
    public void OnCapacityFreed()
    {
        foreach (var e in _entries.Values)
            if (e.Lane == QueueLane.Unschedulable) MoveOut(e);
    }

    /// <summary>
    /// Queueing hint (kube-scheduler's QueueingHint): capacity was freed on the <paramref name="freed"/>
    /// nodes (a pod left, an assumption expired, a bind failed). A parked group moves out only when one
    /// of them could help it: a pending pod could ever run there (<paramref name="filters"/>' spec-only
    /// filters: selector, affinity, taints), and the domain of the group's required level around that
    /// node (the cluster without one) now has at least the GPUs its minimum still needs (a lower bound).
    /// The rest would get the same answer again.
    /// </summary>
    /// <remarks>
    /// Room freed on nodes <paramref name="held"/> (the standing reservation) holds is for the reserving
    /// gang, which is tried every cycle anyway; nodes no longer in the snapshot are skipped.
    /// </remarks>
    public void OnCapacityFreed(IEnumerable<string> freed, ClusterSnapshot snapshot, FilterChain filters, Reservation? held)
    {
        var nodes = Resolve(freed, snapshot, held);
        if (nodes.Count == 0) return;
        foreach (var e in _entries.Values)
        {
            if (e.Lane != QueueLane.Unschedulable || !CouldUse(e.Request, e.Need, e.Shapes, nodes, filters, snapshot)) continue;
            MoveOut(e);
        }
    }

    /// <summary>
    /// Queueing hint for nodes added or changed: every parked group with a pending pod that could
    /// ever run on one of them moves out, whatever room they have, as kube-scheduler retries a pod
    /// that passes a new node's filters: its message must count the new node, and a changed label
    /// may open a domain.
    /// </summary>
    public void OnNodesChanged(IEnumerable<string> changed, ClusterSnapshot snapshot, FilterChain filters)
    {
        var nodes = Resolve(changed, snapshot, null);
        if (nodes.Count == 0) return;
        foreach (var e in _entries.Values)
        {
            if (e.Lane != QueueLane.Unschedulable || !CouldUse(e.Request, 0, e.Shapes, nodes, filters, null)) continue;
            MoveOut(e);
        }
    }

    /// <summary>
    /// Queueing hint for pods bound or assumed anywhere: a parked group whose pending pods have required
    /// pod affinity or DoNotSchedule spread constraints may fit now (the pod it needs arrived, or a
    /// domain's count moved), as kube-scheduler's InterPodAffinity and PodTopologySpread hints on
    /// pod add. Other parked groups cannot be helped by a pod arriving.
    /// </summary>
    public void OnPodsAssigned()
    {
        foreach (var e in _entries.Values)
            if (e.Lane == QueueLane.Unschedulable && e.Shapes.Any(CountsOtherPods)) MoveOut(e);
    }

    /// <summary>
    /// Queueing hint for claims, volumes and storage classes (kube-scheduler's VolumeBinding hints): a
    /// parked group whose pending pods use claims may fit now.
    /// </summary>
    public void OnVolumesChanged()
    {
        foreach (var e in _entries.Values)
            if (e.Lane == QueueLane.Unschedulable && e.Request.Members.Any(p => !p.IsBound && !p.Claims.IsDefaultOrEmpty)) MoveOut(e);
    }

    private static bool CountsOtherPods(Pod pod) =>
        !pod.Affinity.Required.IsDefaultOrEmpty
        || (!pod.SpreadConstraints.IsDefaultOrEmpty && pod.SpreadConstraints.Any(c => c.WhenUnsatisfiable == SpreadAction.DoNotSchedule));

    private static List<NodeInfo> Resolve(IEnumerable<string> names, ClusterSnapshot snapshot, Reservation? held)
    {
        var nodes = new List<NodeInfo>();
        foreach (var name in names)
            if (snapshot.Find(name) is { } node && held?.Blocks(node.Slot) != true) nodes.Add(node);
        return nodes;
    }

    private static bool CouldUse(GangRequest request, long need, List<Pod> shapes, IReadOnlyList<NodeInfo> nodes, FilterChain filters, ClusterSnapshot? snapshot)
    {
        var root = request.Tree.Root;
        var tree = need > 0 && snapshot is not null ? snapshot.Tree(request.Tree.Topology) ?? snapshot.FlatTree : null;
        foreach (var pod in shapes)
        {
            foreach (var node in nodes)
            {
                if (!filters.PassesSpecOnly(pod, node)) continue;
                if (tree is null) return true;
                var leaf = tree.LeafOf(node.Slot);
                var domain = leaf < 0 ? TopologyTree.RootDomain : tree.AncestorAt(leaf, Math.Min(root.RequiredDepth, tree.DepthOf(leaf)));
                if (tree.FreeGpu(domain) >= need) return true;
            }
        }
        return false;
    }

    private static List<Pod> DistinctShapes(GangRequest request)
    {
        var shapes = new List<Pod>();
        var seen = new HashSet<Eligibility.ConstraintKey>();
        foreach (var pod in request.Members)
            if (!pod.IsBound && !pod.SchedulingGated && seen.Add(new Eligibility.ConstraintKey(pod))) shapes.Add(pod);
        return shapes;
    }

    /// <summary>
    /// A lower bound on the GPUs the group's minimum still needs: per leaf, its smallest pending pods
    /// that would complete its minimum; per middle group, its cheapest children that would complete its.
    /// </summary>
    private static long GpusStillNeeded(GangRequest request)
    {
        var tree = request.Tree;
        var bound = new int[tree.Nodes.Length];
        var pending = new List<long>?[tree.Nodes.Length];
        foreach (var p in request.Members)
        {
            if (tree.LeafFor(p.Group?.SubGroup) is not { } leaf) continue;
            if (p.IsBound) bound[leaf.Index]++;
            else if (!p.SchedulingGated) (pending[leaf.Index] ??= []).Add(p.Requests.Gpu);
        }
        return Need(tree.Root);

        long Need(GangNode g)
        {
            if (g.IsLeaf)
            {
                var missing = g.MinMember - bound[g.Index];
                if (missing <= 0 || pending[g.Index] is not { } gpus) return 0;
                gpus.Sort();
                long sum = 0;
                for (var i = 0; i < Math.Min(missing, gpus.Count); i++) sum += gpus[i];
                return sum;
            }
            var children = g.Children.Select(Need).Order().ToList();
            var satisfied = children.Count(n => n == 0);
            return children.Where(n => n > 0).Take(Math.Max(0, g.MinSubGroup - satisfied)).Sum();
        }
    }

    /// <summary>
    /// The group's members changed because this scheduler placed some (not because its owner changed
    /// it): the queue keeps the new request but the group stays in its lane.
    /// </summary>
    public void Refresh(GangRequest request)
    {
        if (_entries.TryGetValue(request.Key, out var e)) e.Request = request;
        else _entries[request.Key] = new Entry(request) { Lane = QueueLane.Active };
    }

    /// <summary>Groups for the next cycle, in the gang order; promotes expired backoffs and long-parked groups first.</summary>
    public IReadOnlyList<GangRequest> Ready()
    {
        var now = time.GetUtcNow();
        var ready = new List<GangRequest>();
        Entry? starving = null;
        foreach (var e in _entries.Values)
        {
            if (e.Lane == QueueLane.Backoff && e.BackoffUntil <= now) e.Lane = QueueLane.Active;
            if (e.Lane == QueueLane.Unschedulable && now - e.ParkedAt >= _options.MaxInUnschedulable) e.Lane = QueueLane.Active;
            if (e.Lane == QueueLane.Active || e.Request.Key == Reserving) ready.Add(e.Request);
            else if (Reserving is null && _options.StarvationThreshold is { } threshold && e.LastCode == StatusCode.Unschedulable
                && now - e.Request.CreationTimestamp >= threshold && (starving is null || _order.Compare(e.Request, starving.Request) < 0))
                starving = e;
        }
        // A parked gang never tried cannot reserve: the best-ranked starving one is tried so it may.
        if (starving is not null) ready.Add(starving.Request);
        ready.Sort(_order);
        return ready;
    }

    /// <summary>
    /// Records a cycle's outcome: admitted groups leave (or, with extras that found no room, park);
    /// refused ones park with a longer backoff.
    /// </summary>
    public void Done(GangDecision decision)
    {
        if (!_entries.TryGetValue(decision.Group, out var e)) return;
        if (decision.Admitted && decision.NotPlaced.IsDefaultOrEmpty)
        {
            Remove(decision.Group);
            return;
        }
        if (decision.Admitted)
        {
            // Its minimum is placed; the extras that found no room wait, parked, for capacity to free.
            e.ParkedAt = time.GetUtcNow();
            e.Lane = QueueLane.Unschedulable;
            return;
        }
        var now = time.GetUtcNow();
        e.Attempts++;
        e.LastCode = decision.Code;
        if (e.FirstRefused == DateTimeOffset.MaxValue) e.FirstRefused = now;
        e.BackoffUntil = now + Backoff(e.Attempts);
        e.ParkedAt = now;
        e.Lane = QueueLane.Unschedulable;
    }

    /// <summary>A bind or API failure (not a fit problem): retry after backoff, without waiting for an event.</summary>
    public void Failed(ObjectKey group)
    {
        if (!_entries.TryGetValue(group, out var e)) return;
        e.Attempts++;
        e.BackoffUntil = time.GetUtcNow() + Backoff(e.Attempts);
        e.Lane = QueueLane.Backoff;
    }

    /// <summary>
    /// Binds of an admitted group failed after it left the queue: it comes back in backoff (not parked:
    /// no event need happen for a retry to make sense).
    /// </summary>
    public void BindFailed(GangRequest request)
    {
        if (!_entries.ContainsKey(request.Key)) _entries[request.Key] = new Entry(request);
        Failed(request.Key);
    }

    private TimeSpan Backoff(int attempts)
    {
        var backoff = _options.InitialBackoff;
        for (var i = 1; i < attempts && backoff < _options.MaxBackoff; i++) backoff *= 2;
        return backoff < _options.MaxBackoff ? backoff : _options.MaxBackoff;
    }

    private void MoveOut(Entry e) => e.Lane = e.BackoffUntil <= time.GetUtcNow() ? QueueLane.Active : QueueLane.Backoff;
}
