using Quorum.Binding;
using Quorum.Core.Framework;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Placement;
using Quorum.Core.Plugins;
using Quorum.Core.Queue;
using Quorum.Core.Snapshot;

namespace Quorum.Scheduling;

/// <summary>What one pass of the loop did, for metrics, logs and tests.</summary>
public sealed record LoopPass(int Tried, int Admitted, int PodsBound, int BindFailures, IReadOnlyList<GangDecision> Decisions);

/// <summary>
/// One scheduler pass: results of earlier binds applied, gangs from the cluster state into the queue,
/// a scheduling cycle on the snapshot, then each admitted gang's pods assumed and handed to the
/// binding pipeline; the pass does not wait for them. When every bind of a hand-over has reported
/// back, a failure forgets that pod's assumption and sends the group back with backoff; pods already
/// bound stay and count, so the next pass completes the group rather than starting over.
/// </summary>
public sealed class SchedulingLoop(
    ClusterState state,
    SchedulingQueue queue,
    SchedulingCycle cycle,
    BindingPipeline binding,
    ISchedulingReporter reporter,
    LoopSettings settings)
{
    /// <summary>A gang's binds in flight, counted until all have reported back.</summary>
    private sealed class HandOver(GangRequest request, bool isPodGroup)
    {
        public GangRequest Request { get; set; } = request;
        public bool IsPodGroup { get; } = isPodGroup;
        public int Placements { get; set; }
        public int Remaining { get; set; }
        public int Bound { get; set; }
        public int Failed { get; set; }
        public string? FirstError { get; set; }

        public void Fail(string error)
        {
            Failed++;
            if (FirstError is null || string.CompareOrdinal(error, FirstError) < 0) FirstError = error;
        }
    }

    /// <summary>What made a queued group worth trying: its spec's content and the members it could still place.</summary>
    private sealed record QueuedShape(string Spec, int Members, HashSet<ObjectKey> Pending)
    {
        /// <summary>
        /// Only progress since: the same spec, no member added, none newly pending (members bound,
        /// assumed or deleted). Such a group keeps its lane: another try would get the same answer.
        /// </summary>
        public bool OnlyProgressTo(QueuedShape next) => next.Spec == Spec && next.Members <= Members && next.Pending.IsSubsetOf(Pending);
    }

    private readonly Dictionary<ObjectKey, HandOver> _handOvers = [];
    private readonly GangIndex _gangs = state.TrackGangs(settings.SchedulerNames, settings.DefaultTopology);
    private Reservation? _reservation;
    private readonly ClusterSnapshot _snapshot = new();
    private readonly Dictionary<ObjectKey, QueuedShape> _queued = [];
    private readonly Dictionary<ObjectKey, GangDecision> _lastDecision = [];
    private readonly Dictionary<ObjectKey, string> _lastStatus = [];
    private readonly HashSet<(string, string?, string)> _reportedObjects = [];
    private readonly Dictionary<GangIndex.GangId, HashSet<(string, string?, string)>> _reportedGangRefusals = [];
    private readonly HashSet<ObjectKey> _statusDue = [];
    private long _capacityEpoch = -1;
    private long _assignedEpoch = -1;
    private long _volumesEpoch = -1;
    private long _refusedVersion = -1;
    private DateTimeOffset _nextTimeout = DateTimeOffset.MaxValue;

    public ClusterSnapshot Snapshot => _snapshot;

    public GangDecision? LastDecision(ObjectKey group) => _lastDecision.GetValueOrDefault(group);

    /// <summary>The gangs as the state now holds them (the index assembles only what changed).</summary>
    public AssembledGangs CurrentGangs => _gangs.Assembled();

    /// <summary>The index of gangs this loop schedules.</summary>
    public GangIndex Gangs => _gangs;

    /// <summary>The binding pipeline this loop hands admitted pods to.</summary>
    public BindingPipeline Binding => binding;

    /// <param name="bindTerm">Cancels the binds this pass hands over (the term of leadership); the pass's own token when default.</param>
    public async Task<LoopPass> RunOnceAsync(CancellationToken cancellationToken, CancellationToken bindTerm = default)
    {
        var (boundBefore, failedBefore) = await ApplyBindResultsAsync(cancellationToken).ConfigureAwait(false);
        foreach (var pod in state.Cache.ExpireAssumedPods())
        {
            state.Freed(pod.NodeName!);
            // A forgotten assumption changes which members count as bound.
            state.RefreshPod(pod.Key);
        }

        // Only the gangs that events touched are assembled again: a pass runs on every tick.
        var touched = _gangs.TakeChanged();
        if (touched.Count > 0)
        {
            SyncQueue(touched);
            await ReportGangRefusalsAsync(touched, cancellationToken).ConfigureAwait(false);
        }
        if (_refusedVersion != state.Version)
        {
            _refusedVersion = state.Version;
            await ReportObjectRefusalsAsync(cancellationToken).ConfigureAwait(false);
        }

        state.Cache.UpdateSnapshot(_snapshot);
        if (state.CapacityEpoch != _capacityEpoch)
        {
            // Queueing hint: only parked groups that could use a node where room appeared are tried again.
            _capacityEpoch = state.CapacityEpoch;
            var (freed, changed) = state.TakeNodeEvents();
            var filters = cycle.Admission.Profile.Filters;
            queue.OnCapacityFreed(freed, _snapshot, filters, _reservation);
            queue.OnNodesChanged(changed, _snapshot, filters);
        }
        if (state.VolumesEpoch != _volumesEpoch)
        {
            _volumesEpoch = state.VolumesEpoch;
            queue.OnVolumesChanged();
        }
        if (state.AssignedEpoch != _assignedEpoch)
        {
            _assignedEpoch = state.AssignedEpoch;
            queue.OnPodsAssigned();
        }
        var ready = queue.Ready();
        // A group whose binds are still out waits for their results: a failure there sends it to
        // backoff, and its other members are assumed, not to be placed again meanwhile.
        if (_handOvers.Count > 0) ready = [.. ready.Where(r => !_handOvers.ContainsKey(r.Key))];
        if (ready.Count == 0)
        {
            // Nothing to try, but status still follows the cluster (members bound by the last pass,
            // pods the kubelet reports running) and the clock (scheduleTimeoutSeconds passing).
            await ReportGroupStatusAsync(cancellationToken).ConfigureAwait(false);
            return new LoopPass(0, 0, boundBefore, failedBefore, []);
        }
        var result = cycle.Run(_snapshot, ready);
        queue.Reserving = result.Reservation?.Group;
        _reservation = result.Reservation;
        var requests = new Dictionary<ObjectKey, GangRequest>(ready.Count);
        foreach (var r in ready) requests[r.Key] = r;

        var admitted = 0;
        foreach (var decision in result.Decisions)
        {
            _lastDecision[decision.Group] = decision;
            var request = requests[decision.Group];
            var isPodGroup = state.FindGroup(decision.Group) is not null;
            if (isPodGroup) _statusDue.Add(decision.Group);
            queue.Done(decision);
            if (!decision.Admitted)
            {
                await reporter.UnschedulableAsync(decision.Group, isPodGroup, Pending(request), decision.Reason,
                    decision.Message ?? "", cancellationToken).ConfigureAwait(false);
                continue;
            }
            admitted++;
            await HandOverAsync(request, decision, isPodGroup, bindTerm.CanBeCanceled ? bindTerm : cancellationToken, cancellationToken).ConfigureAwait(false);
        }
        await ReportGroupStatusAsync(cancellationToken).ConfigureAwait(false);
        return new LoopPass(result.Decisions.Length, admitted, boundBefore, failedBefore, result.Decisions);
    }

    /// <summary>
    /// Assumes every placed pod (the next cycle must see the whole gang's capacity as taken while its
    /// binds are in flight) and hands them to the pipeline.
    /// </summary>
    private async Task HandOverAsync(GangRequest request, GangDecision decision, bool isPodGroup, CancellationToken term, CancellationToken ct)
    {
        if (!_handOvers.TryGetValue(decision.Group, out var handOver)) _handOvers[decision.Group] = handOver = new HandOver(request, isPodGroup);
        handOver.Request = request;
        handOver.Placements += decision.Placements.Length;
        var members = request.Members.ToDictionary(m => m.Key);
        var toBind = new List<(Pod Pod, string Node)>(decision.Placements.Length);
        foreach (var p in decision.Placements)
        {
            var pod = members[p.Pod];
            var assumed = state.Cache.AssumePod(pod, p.Node, bindingPending: true);
            if (assumed.Outcome == CacheOutcome.Applied)
            {
                toBind.Add((pod, p.Node));
                state.RefreshPod(pod.Key);
                state.Assigned();
            }
            else
            {
                state.Cache.Invalidate(p.Node);
                handOver.Fail($"pod {pod.Key}: {assumed.Reason}");
            }
        }
        handOver.Remaining += toBind.Count;
        // Volumes promised to one member are not offered to the next.
        var takenVolumes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (pod, node) in toBind)
        {
            var volumes = pod.Claims.IsDefaultOrEmpty || _snapshot.Find(node) is not { } info ? []
                : VolumePlan.For(pod, info.Node, _snapshot.Volumes, takenVolumes);
            await binding.SubmitAsync(new BindWork(decision.Group, pod, node, term) { Volumes = volumes }, ct).ConfigureAwait(false);
        }
        if (handOver.Remaining == 0) await FinishAsync(decision.Group, handOver, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Applies what the binding pipeline reported since the last call, on the loop's thread (the cache
    /// is not thread-safe); returns how many binds succeeded and failed.
    /// </summary>
    public async Task<(int Bound, int Failed)> ApplyBindResultsAsync(CancellationToken cancellationToken)
    {
        int bound = 0, failed = 0;
        List<ObjectKey>? finished = null;
        while (binding.TryTake(out var r))
        {
            var handOver = _handOvers.GetValueOrDefault(r.Group);
            if (r.Outcome == BindOutcome.Bound)
            {
                bound++;
                state.Cache.FinishBinding(r.Pod.Key);
                if (handOver is not null) handOver.Bound++;
            }
            else
            {
                failed++;
                if (state.Cache.ForgetPod(r.Pod.Key).Outcome == CacheOutcome.Applied) state.Freed(r.Node);
                state.RefreshPod(r.Pod.Key);
                handOver?.Fail($"pod {r.Pod.Key}: {r.Message ?? r.Outcome.ToString()}");
            }
            if (handOver is not null && --handOver.Remaining == 0) (finished ??= []).Add(r.Group);
        }
        if (finished is not null)
            foreach (var group in finished)
                await FinishAsync(group, _handOvers[group], cancellationToken).ConfigureAwait(false);
        return (bound, failed);
    }

    private async Task FinishAsync(ObjectKey group, HandOver handOver, CancellationToken ct)
    {
        _handOvers.Remove(group);
        if (handOver.Failed == 0) return;
        queue.BindFailed(handOver.Request);
        // The queue holds the request as it was at admission; the next pass hands it the members as
        // they are now (some bound, the failed ones pending again).
        _queued.Remove(group);
        await reporter.UnschedulableAsync(group, handOver.IsPodGroup, Pending(handOver.Request), "BindingRejected",
            $"{handOver.Failed} of {handOver.Placements} binds failed: {handOver.FirstError}; {handOver.Bound} bound pods stay and count toward the minimum",
            ct).ConfigureAwait(false);
    }

    private void SyncQueue(IReadOnlyCollection<GangIndex.GangId> changed)
    {
        foreach (var id in changed)
        {
            var key = id.Key;
            if (id.IsPodGroup) _statusDue.Add(key);
            if (_gangs.Find(id)?.Ready is { } request)
            {
                var shape = ShapeOf(request);
                if (_queued.TryGetValue(key, out var old) && old.OnlyProgressTo(shape))
                {
                    // Members placed by this scheduler (or pending ones deleted): the group keeps its lane.
                    _queued[key] = shape;
                    queue.Refresh(request);
                    continue;
                }
                // A changed group goes back to the active lane.
                _queued[key] = shape;
                queue.AddOrUpdate(request);
                continue;
            }
            if (_queued.Remove(key)) queue.Remove(key);
            // A PodGroup that still exists keeps its last decision for its status; a single pod that
            // was bound or deleted, or a deleted PodGroup, leaves nothing behind.
            if (state.FindGroup(key) is null)
            {
                _lastDecision.Remove(key);
                _lastStatus.Remove(key);
            }
        }
    }

    /// <summary>
    /// What makes a group worth trying again: its spec's content (not the object: our own status
    /// writes come back as watch events with a fresh copy) and its members' binding and gates.
    /// </summary>
    private static QueuedShape ShapeOf(GangRequest r)
    {
        var s = r.Tree.Spec;
        var spec = $"{s.MinMember}|{s.MinSubGroup}|{s.Priority}|{s.TopologyConstraint}|{string.Join(';', s.SubGroups)}";
        var pending = new HashSet<ObjectKey>();
        foreach (var m in r.Members)
            if (!m.IsBound && !m.SchedulingGated) pending.Add(m.Key);
        return new QueuedShape(spec, r.Members.Count, pending);
    }

    /// <summary>PodScheduled condition reason for pods of an invalid group, or naming a missing group or sub-group.</summary>
    public const string InvalidPodGroupReason = "InvalidPodGroup";

    private List<Pod> Found(IEnumerable<ObjectKey> pods) => [.. pods.Select(state.FindPod).OfType<Pod>()];

    private static List<Pod> Pending(GangRequest request) => [.. request.Members.Where(m => !m.IsBound)];

    /// <summary>Objects the state could not map (few; walked whenever an event was applied).</summary>
    private async Task ReportObjectRefusalsAsync(CancellationToken ct)
    {
        var current = new HashSet<(string, string?, string)>();
        foreach (var r in state.Refused)
        {
            // A pod of another scheduler that Quorum cannot read still matters (it may hold capacity
            // Quorum cannot count), but the events on it belong to its own scheduler.
            if (r.SchedulerName is { } name && !settings.SchedulerNames.Contains(name)) continue;
            current.Add((r.Kind, r.Namespace, r.Name));
            if (_reportedObjects.Add((r.Kind, r.Namespace, r.Name))) await reporter.RefusedAsync(r, ct).ConfigureAwait(false);
        }
        // Fixed objects may be refused again later, and must then be reported again.
        _reportedObjects.IntersectWith(current);
    }

    /// <summary>Refused groups and members of the gangs that changed; each refusal is reported once while it lasts.</summary>
    private async Task ReportGangRefusalsAsync(IReadOnlyCollection<GangIndex.GangId> changed, CancellationToken ct)
    {
        foreach (var id in changed)
        {
            var entry = _gangs.Find(id);
            var current = new HashSet<(string, string?, string)>();
            var reported = _reportedGangRefusals.GetValueOrDefault(id) ?? [];
            if (entry?.Refusal is { } g)
            {
                var key = ("PodGroup", (string?)g.Group.Namespace, g.Group.Name);
                current.Add(key);
                if (!reported.Contains(key))
                {
                    await reporter.RefusedAsync(new RefusedObject("PodGroup", g.Group.Namespace, g.Group.Name, g.Message), ct).ConfigureAwait(false);
                    if (g.Code == StatusCode.Invalid)
                    {
                        await reporter.GroupStatusAsync(g.Group, GroupStatus.Invalid(g.Message), ct).ConfigureAwait(false);
                        // Users look at their pods first: each says why it waits (never "Unschedulable": more
                        // nodes would not help, so no autoscaler should act on it).
                        await reporter.UnschedulableAsync(g.Group, false, Found(g.Pods), InvalidPodGroupReason, g.Message, ct).ConfigureAwait(false);
                    }
                }
            }
            foreach (var p in entry?.RefusedPods ?? [])
            {
                var key = ("Pod", (string?)p.Pod.Namespace, p.Pod.Name);
                current.Add(key);
                if (!reported.Contains(key)) await reporter.UnschedulableAsync(p.Pod, false, Found([p.Pod]), InvalidPodGroupReason, p.Reason, ct).ConfigureAwait(false);
            }
            // Fixed objects may be refused again later, and must then be reported again.
            if (current.Count > 0) _reportedGangRefusals[id] = current;
            else _reportedGangRefusals.Remove(id);
        }
    }

    /// <summary>
    /// Status of the PodGroups whose members, spec or decision changed since the last call, and of
    /// every one once a <c>scheduleTimeoutSeconds</c> falls due: a group that finished binding must
    /// still move to Scheduled and Running.
    /// </summary>
    private async Task ReportGroupStatusAsync(CancellationToken ct)
    {
        var now = settings.Time.GetUtcNow();
        IEnumerable<ObjectKey> due = _statusDue;
        if (now >= _nextTimeout)
        {
            _nextTimeout = DateTimeOffset.MaxValue;
            due = state.Groups.Select(g => g.Key);
        }
        else if (_statusDue.Count == 0) return;
        foreach (var key in due.ToList())
        {
            if (state.FindGroup(key) is not { } spec) continue;
            if (_gangs.TreeOf(key) is not { } tree) continue;
            var status = GroupStatus.Compute(tree, [.. _gangs.MembersOf(key)], _lastDecision.GetValueOrDefault(key), now);
            if (status.Phase == GroupPhase.Pending && spec.ScheduleTimeoutSeconds is { } timeout
                && spec.CreationTimestamp + TimeSpan.FromSeconds(timeout) is var at && at >= now && at < _nextTimeout)
                _nextTimeout = at;
            // Write only what changed: every status write comes back as a watch event.
            var rendered = $"{status.Phase}|{status.Scheduled}|{status.Running}|{string.Join(';', status.SubGroups)}|{string.Join(';', status.Conditions)}";
            if (_lastStatus.TryGetValue(key, out var previous) && previous == rendered) continue;
            _lastStatus[key] = rendered;
            await reporter.GroupStatusAsync(key, status, ct).ConfigureAwait(false);
        }
        _statusDue.Clear();
    }
}

/// <summary>What the loop needs from the configuration.</summary>
public sealed record LoopSettings(IReadOnlyCollection<string> SchedulerNames, string DefaultTopology, TimeProvider Time);
