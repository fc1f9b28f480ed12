using Grpc.Core;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Quorum.Api;
using Quorum.Api.V1Alpha1;
using Quorum.Core.Snapshot;
using Quorum.Core.Topology;
using Quorum.Hosting;
using Quorum.Tests.ApiServer;

namespace Quorum.Tests.Grpc;

/// <summary>WhatIf over gRPC: an answer from a copy of the live snapshot, leaving the cluster untouched.</summary>
public class WhatIfTests : GrpcHostFixture
{
    private static WhatIfRequest Planned(int pods) => new()
    {
        Workload = new Workload
        {
            PodGroup = new PodGroup
            {
                Namespace = "ml",
                Name = "planned",
                MinMember = pods,
                TopologyConstraint = new TopologyConstraint { Topology = "default", RequiredTopologyLevel = Clique },
            },
            Pods = { new PodTemplate { Count = pods, Requests = { ["nvidia.com/gpu"] = "8", ["cpu"] = "16" } } },
        },
    };

    private int Binds => Api.Requests.Count(r => r.Path.EndsWith("/binding", StringComparison.Ordinal));

    [Test]
    public async Task A_gang_that_fits_is_admitted_with_its_placement_and_nothing_is_assumed_or_bound()
    {
        SeedCluster();
        var host = await StartHostAsync();
        var client = ApiClient(host);
        var bindsBefore = Binds;

        var answer = await client.WhatIfAsync(Planned(2));

        var outcome = answer.Groups.Single();
        Assert.That((outcome.Group.Name, outcome.IsPodGroup, outcome.Admitted, outcome.Message), Is.EqualTo(("planned", true, true, "")));
        // r1 has one free node only; the pair goes to r2.
        Assert.That(outcome.Placements.Select(p => (p.Node, p.Domain)).Order(), Is.EqualTo(new[] { ("n3", "b1/r2/n3"), ("n4", "b1/r2/n4") }));
        Assert.That(outcome.QueuedAhead, Is.Zero);

        var state = host.Services.GetRequiredService<SchedulerState>();
        var assumed = await state.Insight.AskAsync(v => v.Cluster.Cache.AssumedPodCount, CancellationToken.None);
        Assert.That(assumed, Is.Zero, "nothing assumed in the live cache");
        Assert.That(Binds, Is.EqualTo(bindsBefore), "nothing bound");
        Assert.That(Api.List<V1Pod>("ml").Select(p => p.Metadata.Name), Is.EqualTo(new[] { "busy" }), "no pod created");
        var capacity = await client.CapacityAsync(new CapacityRequest());
        Assert.That(capacity.Domains.Select(d => d.GpuFree), Is.EqualTo(new[] { 8L, 16L }), "the live snapshot still has r2 free");
        // The same question twice gets the same answer: the first left no trace in the what-if copy,
        // which is kept and brought up to date rather than rebuilt per question.
        var again = (await client.WhatIfAsync(Planned(2))).Groups.Single();
        Assert.That(again.Placements.Select(p => p.Node).Order(), Is.EqualTo(new[] { "n3", "n4" }));
        var workspace = host.Services.GetRequiredService<WhatIfWorkspace>().Snapshot;
        var fresh = await state.Insight.AskAsync(v =>
        {
            var s = new ClusterSnapshot();
            v.Cluster.Cache.UpdateSnapshot(s);
            return s;
        }, CancellationToken.None);
        Assert.That(workspace.Nodes.Select(n => (n.Name, n.Requested)).OrderBy(n => n.Name, StringComparer.Ordinal),
            Is.EqualTo(fresh.Nodes.Select(n => (n.Name, n.Requested)).OrderBy(n => n.Name, StringComparer.Ordinal)));
        Assert.That(workspace.FlatTree.FreeGpu(TopologyTree.RootDomain), Is.EqualTo(fresh.FlatTree.FreeGpu(TopologyTree.RootDomain)));
    }

    [Test]
    public async Task A_gang_that_does_not_fit_is_refused_with_the_schedulers_message_and_figures()
    {
        SeedCluster();
        var host = await StartHostAsync();

        var outcome = (await ApiClient(host).WhatIfAsync(Planned(3))).Groups.Single();

        Assert.That((outcome.Admitted, outcome.Reason), Is.EqualTo((false, "Unschedulable")));
        Assert.That(outcome.Message, Is.EqualTo("group needs 3 pods × 8 nvidia.com/gpu inside one nvidia.com/gpu.clique; the best clique fits 2"));
        var level = outcome.Levels.Single();
        Assert.That((level.BestDomain, level.Needed, level.BestFit), Is.EqualTo(("b1/r2", 3, 2)));
        Assert.That(level.Resources.Select(r => (r.Resource, r.Needed, r.BestAvailable)),
            Is.EqualTo(new[] { ("nvidia.com/gpu", 24L, 16L), ("cpu", 48_000L, 128_000L) }));
        Assert.That(outcome.Placements, Is.Empty);
        Assert.That(outcome.Unplaced, Has.Count.EqualTo(3));
    }

    [Test]
    public async Task Manifests_in_YAML_are_read_as_kubectl_would_apply_them_and_queued_groups_ahead_are_counted()
    {
        SeedCluster();
        CliqueGang("big", 3);
        var host = await StartHostAsync();
        await KubeApiStandIn.WaitForAsync(() => Api.List<Eventsv1Event>("ml").Any(e => e.Reason == "FailedScheduling"), because: "big waits in the queue");
        const string yaml = """
            apiVersion: scheduling.quorum.dev/v1alpha1
            kind: PodGroup
            metadata: {name: pair, namespace: ml}
            spec: {minMember: 2}
            ---
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Pod
              metadata: {name: pair-0, namespace: ml, labels: {scheduling.quorum.dev/pod-group: pair}}
              spec: {containers: [{name: c, resources: {requests: {nvidia.com/gpu: "8"}}}]}
            - apiVersion: v1
              kind: Pod
              metadata: {name: pair-1, namespace: ml, labels: {scheduling.quorum.dev/pod-group: pair}}
              spec: {containers: [{name: c, resources: {requests: {nvidia.com/gpu: "8"}}}]}
            """;

        var outcome = (await ApiClient(host).WhatIfAsync(new WhatIfRequest { Manifests = yaml })).Groups.Single();

        Assert.That(outcome.Admitted, Is.True);
        Assert.That(outcome.Placements.Select(p => p.Pod).Order(), Is.EqualTo(new[] { "pair-0", "pair-1" }));
        Assert.That(outcome.QueuedAhead, Is.EqualTo(1), "big is older and waits ahead of it");
    }

    [Test]
    public async Task Malformed_workloads_are_InvalidArgument_naming_the_field()
    {
        SeedCluster();
        var host = await StartHostAsync();
        var client = ApiClient(host);
        async Task<string> Detail(WhatIfRequest r)
        {
            var e = await FailsAsync(client.WhatIfAsync(r));
            Assert.That(e.StatusCode, Is.EqualTo(StatusCode.InvalidArgument), e.Status.Detail);
            return e.Status.Detail;
        }

        var zero = Planned(2);
        zero.Workload.Pods[0].Count = 0;
        Assert.That(await Detail(zero), Is.EqualTo("workload.pods[0].count: 0 must be at least 1"));
        var quantity = Planned(2);
        quantity.Workload.Pods[0].Requests["memory"] = "lots";
        Assert.That(await Detail(quantity), Does.StartWith("workload.pods[0].requests[\"memory\"]: "));
        var level = Planned(2);
        level.Workload.PodGroup.TopologyConstraint.RequiredTopologyLevel = "rack";
        Assert.That(await Detail(level), Does.StartWith("PodGroup ml/planned: ").And.Contain("spec.topologyConstraint.requiredTopologyLevel"));
        Assert.That(await Detail(new WhatIfRequest()), Is.EqualTo("input: set workload or manifests"));
        Assert.That(await Detail(new WhatIfRequest { Manifests = "kind: [" }), Does.StartWith("manifests: not valid YAML"));
    }
}
