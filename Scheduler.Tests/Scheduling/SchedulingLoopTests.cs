using System.Collections.Concurrent;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Placement;
using Quorum.Core.Framework;
using Quorum.Core.Plugins;
using Quorum.Core.Profiles;
using Quorum.Core.Queue;
using Quorum.Core.Snapshot;
using Quorum.Binding;
using Quorum.Kubernetes;
using Quorum.Tests.Integration;
using Quorum.Scheduling;

namespace Quorum.Tests.Scheduling;

public class SchedulingLoopTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-01-01T00:00:00Z");

    private sealed class FakeBinder : IPodBinder
    {
        public ConcurrentDictionary<ObjectKey, string> Bound { get; } = new();
        public HashSet<string> FailFor { get; } = [];
        public ConcurrentQueue<string> Calls { get; } = new();

        /// <summary>While set, every bind waits for it: binds in flight, as on a slow API server.</summary>
        public TaskCompletionSource? Gate { get; set; }

        public async Task<(BindOutcome, string?)> BindAsync(Pod pod, string node, CancellationToken cancellationToken)
        {
            Calls.Enqueue(pod.Key.Name);
            if (Gate is { } gate) await gate.Task.WaitAsync(cancellationToken);
            return Bind(pod, node);
        }

        private (BindOutcome, string?) Bind(Pod pod, string node)
        {
            if (FailFor.Contains(pod.Key.Name)) return (BindOutcome.Failed, "injected 500");
            if (!Bound.TryAdd(pod.Key, node)) return (BindOutcome.AlreadyBound, "already assigned");
            return (BindOutcome.Bound, null);
        }
    }

    private sealed class FakeReporter : ISchedulingReporter
    {
        public ConcurrentQueue<string> Lines { get; } = new();
        public ConcurrentDictionary<ObjectKey, GroupStatus> Statuses { get; } = new();

        public Task ScheduledAsync(Pod pod, string node, CancellationToken c) { Lines.Enqueue($"Scheduled {pod.Key} {node}"); return Task.CompletedTask; }
        public Task UnschedulableAsync(ObjectKey group, bool isPodGroup, IReadOnlyList<Pod> pendingPods, string reason, string message, CancellationToken c)
        { Lines.Enqueue($"{reason} {group}: {message}"); return Task.CompletedTask; }
        public Task GroupStatusAsync(ObjectKey group, GroupStatus status, CancellationToken c) { Statuses[group] = status; return Task.CompletedTask; }
        public Task RefusedAsync(RefusedObject refused, CancellationToken c) { Lines.Enqueue($"Refused {refused.Kind} {refused.Name}: {refused.Message}"); return Task.CompletedTask; }
    }

    private sealed class Harness
    {
        public FakeTimeProvider Time { get; } = new(T0.AddMinutes(1));
        public ClusterState State { get; }
        public FakeBinder Binder { get; } = new();
        public FakeReporter Reporter { get; } = new();
        public SchedulingLoop Loop { get; }

        public Harness()
        {
            State = new ClusterState(new ClusterCache(Time));
            var admission = new GangAdmission(SchedulerProfile.Default(new PlacementOptions { StarvationThreshold = TimeSpan.FromHours(1) }));
            Binding = new BindingPipeline(Binder, Reporter, 4);
            Loop = new SchedulingLoop(State, new SchedulingQueue(Time), new SchedulingCycle(admission, Time), Binding, Reporter,
                new LoopSettings(["quorum"], "default", Time));
        }

        public BindingPipeline Binding { get; }

        /// <summary>Two 8-GPU nodes and a gang "job" of two 8-GPU pods, w0 and w1.</summary>
        public static Harness PairOnTwoNodes()
        {
            var h = new Harness();
            h.AddNode("n1", 8);
            h.AddNode("n2", 8);
            h.AddGroup("job", 2);
            h.AddPod("w0", 8, "job");
            h.AddPod("w1", 8, "job");
            return h;
        }

        /// <summary>
        /// One pass and the binds it handed over, then what a watch would show: bound pods come back
        /// with spec.nodeName.
        /// </summary>
        public async Task<LoopPass> PassAsync()
        {
            var pass = await Loop.RunOnceAsync(CancellationToken.None);
            await Binding.WhenIdle.WaitAsync(TimeSpan.FromSeconds(10));
            var (bound, failed) = await Loop.ApplyBindResultsAsync(CancellationToken.None);
            pass = pass with { PodsBound = pass.PodsBound + bound, BindFailures = pass.BindFailures + failed };
            Watch();
            return pass;
        }

        /// <summary>What a watch shows once binds land: bound pods come back with spec.nodeName.</summary>
        public void Watch()
        {
            foreach (var (key, node) in Binder.Bound)
                if (State.FindPod(key) is { NodeName: null } && Pods.TryGetValue(key, out var v1))
                {
                    v1.Spec.NodeName = node;
                    State.ApplyPod(v1, deleted: false);
                }
        }

        public Dictionary<ObjectKey, V1Pod> Pods { get; } = [];

        public void AddNode(string name, int gpus) => State.ApplyNode(new V1Node
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = name } },
            Status = new V1NodeStatus { Allocatable = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("64"), ["memory"] = new("512Gi"), ["nvidia.com/gpu"] = new($"{gpus}"), ["pods"] = new("110") } },
        }, deleted: false);

        public void AddPod(string name, int gpus, string? group = null, string scheduler = "quorum", string? node = null)
        {
            var labels = new Dictionary<string, string>();
            if (group is not null) labels[WellKnown.PodGroupLabel] = group;
            var pod = new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "ml", Labels = labels, CreationTimestamp = T0.UtcDateTime },
                Spec = new V1PodSpec
                {
                    SchedulerName = scheduler,
                    NodeName = node,
                    Containers = [new V1Container { Name = "c", Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["nvidia.com/gpu"] = new($"{gpus}") } } }],
                },
            };
            Pods[new ObjectKey("ml", name)] = pod;
            State.ApplyPod(pod, deleted: false);
        }

        public void AddGroup(string name, int minMember) => State.ApplyPodGroup(new PodGroupResource
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "ml", CreationTimestamp = T0.UtcDateTime },
            Spec = new PodGroupSpecResource { MinMember = minMember },
        }, deleted: false);
    }

    [Test]
    public async Task A_gang_is_bound_only_when_whole()
    {
        var h = new Harness();
        h.AddNode("n1", 8);
        h.AddNode("n2", 8);
        h.AddGroup("job", 3);
        for (var i = 0; i < 3; i++) h.AddPod($"w{i}", 8, "job");

        var first = await h.PassAsync();
        Assert.That(first.PodsBound, Is.EqualTo(0));
        Assert.That(h.Binder.Bound, Is.Empty);
        Assert.That(h.Reporter.Lines, Has.Some.StartsWith("Unschedulable ml/job: group needs 3 pods × 8 nvidia.com/gpu"));
        Assert.That(h.Reporter.Statuses[new ObjectKey("ml", "job")].Phase, Is.EqualTo(GroupPhase.Pending));

        h.AddNode("n3", 8);
        h.Time.Advance(TimeSpan.FromSeconds(2));
        var second = await h.PassAsync();
        Assert.That(second.PodsBound, Is.EqualTo(3));
        Assert.That(h.Binder.Bound.Values.Order(), Is.EqualTo(new[] { "n1", "n2", "n3" }));
        await h.PassAsync();
        Assert.That(h.Reporter.Statuses[new ObjectKey("ml", "job")].Phase, Is.EqualTo(GroupPhase.Scheduled));
    }

    [Test]
    public async Task A_bound_group_follows_its_pods_to_Running_with_nothing_left_to_schedule()
    {
        var h = Harness.PairOnTwoNodes();
        await h.PassAsync();
        await h.PassAsync();
        Assert.That(h.Reporter.Statuses[new ObjectKey("ml", "job")].Phase, Is.EqualTo(GroupPhase.Scheduled));

        foreach (var pod in h.Pods.Values)
        {
            pod.Status = new V1PodStatus { Phase = "Running" };
            h.State.ApplyPod(pod, deleted: false);
        }
        var pass = await h.PassAsync();
        Assert.That(pass.Tried, Is.Zero);
        Assert.That(h.Reporter.Statuses[new ObjectKey("ml", "job")].Phase, Is.EqualTo(GroupPhase.Running));
    }

    [Test]
    public async Task A_pod_waiting_for_the_pod_its_affinity_names_is_tried_again_when_that_pod_is_bound()
    {
        var h = new Harness();
        h.AddNode("n1", 8);
        h.AddNode("n2", 8);
        V1Pod Pod(string name, string app, V1Affinity? affinity = null, string? node = null) => new()
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "ml", Labels = new Dictionary<string, string> { ["app"] = app }, CreationTimestamp = T0.UtcDateTime },
            Spec = new V1PodSpec { SchedulerName = node is null ? "quorum" : "default-scheduler", NodeName = node, Affinity = affinity, Containers = [new V1Container { Name = "c" }] },
        };
        var nearDb = new V1Affinity
        {
            PodAffinity = new V1PodAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution =
                    [new V1PodAffinityTerm { LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "db" } }, TopologyKey = "kubernetes.io/hostname" }],
            },
        };
        h.State.ApplyPod(Pod("cache", "cache", nearDb), deleted: false);
        var first = await h.PassAsync();
        Assert.That(first.Tried, Is.EqualTo(1));
        Assert.That(h.Reporter.Lines, Has.Some.Contains("didn't match pod affinity rules"));
        Assert.That((await h.PassAsync()).Tried, Is.Zero, "parked: nothing changed");

        // Another scheduler's db pod lands on n2: no capacity was freed and no node changed.
        h.State.ApplyPod(Pod("db", "db", node: "n2"), deleted: false);
        h.Time.Advance(TimeSpan.FromSeconds(2));
        var second = await h.PassAsync();
        Assert.That(second.PodsBound, Is.EqualTo(1));
        Assert.That(h.Binder.Bound[new ObjectKey("ml", "cache")], Is.EqualTo("n2"));
    }

    [Test]
    public async Task A_failed_bind_is_retried_and_the_bound_members_stay()
    {
        var h = Harness.PairOnTwoNodes();
        h.Binder.FailFor.Add("w1");

        var first = await h.PassAsync();
        Assert.That(first.BindFailures, Is.EqualTo(1));
        Assert.That(h.Binder.Bound.Keys.Select(k => k.Name), Is.EqualTo(new[] { "w0" }));
        Assert.That(h.State.Cache.IsAssumed(new ObjectKey("ml", "w1")), Is.False, "the failed bind's assumption is forgotten");
        Assert.That(h.Reporter.Lines, Has.Some.StartsWith("BindingRejected ml/job"));

        h.Binder.FailFor.Clear();
        h.Time.Advance(TimeSpan.FromSeconds(2));
        var second = await h.PassAsync();
        Assert.That(second.PodsBound, Is.EqualTo(1), "only the missing member is bound; w0 counts toward the minimum");
        Assert.That(h.Binder.Bound.Keys.Select(k => k.Name).Order(), Is.EqualTo(new[] { "w0", "w1" }));
    }

    [Test]
    public async Task Pods_of_other_schedulers_take_capacity_and_plain_pods_schedule()
    {
        var h = new Harness();
        h.AddNode("n1", 8);
        h.AddPod("theirs", 6, scheduler: "default-scheduler", node: "n1");
        h.AddPod("big", 4);
        h.AddPod("small", 2);
        var pass = await h.PassAsync();
        Assert.That(h.Binder.Bound.Keys.Select(k => k.Name), Is.EqualTo(new[] { "small" }));
        Assert.That(h.Reporter.Lines, Has.Some.EqualTo("Unschedulable ml/big: 0/1 nodes are available: 1 Insufficient nvidia.com/gpu."));
        Assert.That(pass.Tried, Is.EqualTo(2));
    }

    [Test]
    public async Task Decisions_of_pods_that_were_bound_or_groups_that_were_deleted_are_not_kept()
    {
        var h = new Harness();
        h.AddNode("n1", 8);
        h.AddPod("single", 8);
        h.AddGroup("gone", 2);
        h.AddPod("g0", 8, "gone");
        h.AddPod("g1", 8, "gone");
        await h.PassAsync();
        Assert.That(h.Loop.LastDecision(new ObjectKey("ml", "gone")), Is.Not.Null, "tried and refused: n1 went to the single pod");
        h.State.ApplyPodGroup(new PodGroupResource { Metadata = new V1ObjectMeta { Name = "gone", NamespaceProperty = "ml" } }, deleted: true);
        h.Time.Advance(TimeSpan.FromSeconds(2));
        await h.PassAsync();
        Assert.That(h.Loop.LastDecision(new ObjectKey("ml", "single")), Is.Null, "a bound single pod leaves no decision behind");
        Assert.That(h.Loop.LastDecision(new ObjectKey("ml", "gone")), Is.Null, "a deleted group leaves no decision behind");
    }

    [Test]
    public async Task A_pod_of_another_scheduler_that_cannot_be_read_gets_no_event_from_quorum()
    {
        var h = new Harness();
        h.AddNode("n1", 8);
        h.State.ApplyPod(new V1Pod { Metadata = new V1ObjectMeta { Name = "theirs", NamespaceProperty = "ml" } }, deleted: false);
        h.AddPod("ours", 8);
        await h.PassAsync();
        Assert.That(h.State.Refused.Select(r => r.Name), Is.EqualTo(new[] { "theirs" }), "refused: it has no spec");
        Assert.That(h.Reporter.Lines, Has.None.Contains("theirs"));
    }

    [Test]
    public async Task A_pod_recreated_under_the_same_name_while_unseen_releases_the_old_ones_node_and_is_scheduled()
    {
        var h = new Harness();
        h.AddNode("n1", 8);
        h.AddPod("web-0", 8, node: "n1");
        h.Pods[new ObjectKey("ml", "web-0")].Metadata.Uid = "old";
        h.State.ApplyPod(h.Pods[new ObjectKey("ml", "web-0")], deleted: false);
        // What a relist shows after the old pod was deleted and a new one made: an update, not a delete.
        h.AddPod("web-0", 8);
        h.Pods[new ObjectKey("ml", "web-0")].Metadata.Uid = "new";
        h.State.ApplyPod(h.Pods[new ObjectKey("ml", "web-0")], deleted: false);

        var pass = await h.PassAsync();
        Assert.That(pass.PodsBound, Is.EqualTo(1), "n1 is free again: the old incarnation's GPUs are released");
        Assert.That(h.Binder.Bound[new ObjectKey("ml", "web-0")], Is.EqualTo("n1"));
    }

    [Test]
    public async Task A_PodGroup_seen_before_its_PriorityClass_is_admitted_once_the_class_arrives()
    {
        var h = new Harness();
        h.AddNode("n1", 8);
        h.State.ApplyPodGroup(new PodGroupResource
        {
            Metadata = new V1ObjectMeta { Name = "job", NamespaceProperty = "ml", CreationTimestamp = T0.UtcDateTime },
            Spec = new PodGroupSpecResource { MinMember = 1, PriorityClassName = "inference-high" },
        }, deleted: false);
        h.AddPod("w0", 8, "job");
        Assert.That(h.State.Refused.Select(r => r.Name), Is.EqualTo(new[] { "job" }), "the class is not known yet");

        h.State.ApplyPriorityClass(new V1PriorityClass { Metadata = new V1ObjectMeta { Name = "inference-high" }, Value = 1000 }, deleted: false);
        Assert.That(h.State.Refused, Is.Empty);
        Assert.That(h.State.FindGroup(new ObjectKey("ml", "job"))!.Priority, Is.EqualTo(1000));
        await h.PassAsync();
        Assert.That(h.Binder.Bound.Keys.Select(k => k.Name), Is.EqualTo(new[] { "w0" }));
    }

    [Test]
    public async Task A_bad_object_is_reported_and_the_rest_is_scheduled()
    {
        var h = new Harness();
        h.AddNode("n1", 8);
        h.State.ApplyPodGroup(new PodGroupResource
        {
            Metadata = new V1ObjectMeta { Name = "bad", NamespaceProperty = "ml" },
            Spec = new PodGroupSpecResource { SubGroups = [new SubGroupResource { Name = "a", Parent = "ghost" }] },
        }, deleted: false);
        h.AddPod("member", 1, "bad");
        h.AddPod("orphan", 1, "missing");
        h.AddPod("fine", 1);
        await h.PassAsync();
        Assert.Multiple(() =>
        {
            Assert.That(h.Binder.Bound.Keys.Select(k => k.Name), Is.EqualTo(new[] { "fine" }));
            Assert.That(h.Reporter.Lines, Has.Some.Contains("Refused PodGroup bad: spec.subGroups[0].parent: unknown sub-group \"ghost\""));
            Assert.That(h.Reporter.Lines, Has.Some.Contains("InvalidPodGroup ml/orphan: PodGroup missing does not exist in namespace ml"));
            Assert.That(h.Reporter.Statuses[new ObjectKey("ml", "bad")].Phase, Is.EqualTo(GroupPhase.Failed));
        });
        // Reported once, not every pass.
        var before = h.Reporter.Lines.Count(l => l.StartsWith("Refused", StringComparison.Ordinal));
        await h.PassAsync();
        Assert.That(h.Reporter.Lines.Count(l => l.StartsWith("Refused", StringComparison.Ordinal)), Is.EqualTo(before));
    }

    [Test]
    public async Task A_parked_group_is_not_retried_until_something_changes()
    {
        var h = new Harness();
        h.AddNode("n1", 8);
        h.AddPod("big", 16);
        Assert.That((await h.PassAsync()).Tried, Is.EqualTo(1));
        h.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.That((await h.PassAsync()).Tried, Is.EqualTo(0), "parked: nothing freed capacity");
        h.AddNode("n2", 16);
        h.Time.Advance(TimeSpan.FromSeconds(30));
        var pass = await h.PassAsync();
        Assert.That(pass.Tried, Is.EqualTo(1));
        Assert.That(pass.PodsBound, Is.EqualTo(1));
    }

    [Test]
    public async Task A_pass_does_not_wait_for_its_binds_and_the_next_pass_decides_around_them()
    {
        var h = Harness.PairOnTwoNodes();
        h.Binder.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var first = await h.Loop.RunOnceAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(first.Admitted, Is.EqualTo(1), "decided and handed over while both binds still wait");
        Assert.That(h.Binding.InFlight, Is.EqualTo(2));

        // An event arrives while the binds are in flight: the gang is assembled again, and its
        // assumed pods must count as placed, not be placed a second time.
        h.AddNode("n3", 8);
        h.AddPod("late", 8);
        var second = await h.Loop.RunOnceAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(second.Decisions.Select(d => (d.Group.Name, d.Admitted)), Is.EqualTo(new[] { ("late", true) }));
        Assert.That(second.Decisions[0].Placements.Single().Node, Is.EqualTo("n3"), "n1 and n2 are assumed for job");

        h.Binder.Gate.SetResult();
        await h.Binding.WhenIdle.WaitAsync(TimeSpan.FromSeconds(10));
        var (bound, failed) = await h.Loop.ApplyBindResultsAsync(CancellationToken.None);
        Assert.That((bound, failed), Is.EqualTo((3, 0)));
        Assert.That(h.Binder.Calls.Order(), Is.EqualTo(new[] { "late", "w0", "w1" }), "each pod bound once");
    }

    [Test]
    public async Task A_bind_handed_over_in_a_term_that_ended_is_not_sent_and_its_pod_is_forgotten()
    {
        var h = new Harness();
        await using var one = new BindingPipeline(h.Binder, h.Reporter, parallelism: 1);
        h.Binder.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var term = new CancellationTokenSource();
        var group = new ObjectKey("ml", "job");
        await one.SubmitAsync(new BindWork(group, Quorum.Benchmarks.Simulation.Pods.Gpu("ml", "a", 1), "n1", CancellationToken.None), CancellationToken.None);
        await one.SubmitAsync(new BindWork(group, Quorum.Benchmarks.Simulation.Pods.Gpu("ml", "b", 1), "n1", term.Token), CancellationToken.None);
        await TestCluster.WaitUntilAsync(() => Task.FromResult(h.Binder.Calls.Count == 1), "the first bind started");

        await term.CancelAsync();
        h.Binder.Gate.SetResult();
        await one.WhenIdle.WaitAsync(TimeSpan.FromSeconds(10));

        var results = new List<BindResult>();
        while (one.TryTake(out var r)) results.Add(r);
        Assert.That(results.Select(r => (r.Pod.Key.Name, r.Outcome)), Is.EquivalentTo(new[] { ("a", BindOutcome.Bound), ("b", BindOutcome.Failed) }));
        Assert.That(results.Single(r => r.Pod.Key.Name == "b").Message, Does.Contain("stopped leading"));
        Assert.That(h.Binder.Calls, Is.EqualTo(new[] { "a" }), "the deposed term's bind never reached the API server");
    }
}
