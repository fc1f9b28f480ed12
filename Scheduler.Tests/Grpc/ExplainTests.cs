using Grpc.Core;
using k8s.Models;
using Quorum.Api.V1Alpha1;
using Quorum.Tests.ApiServer;

namespace Quorum.Tests.Grpc;

/// <summary>Explain over gRPC: why a gang waits, in the words of its Event and in figures.</summary>
public class ExplainTests : GrpcHostFixture
{
    private string EventMessage(string kind, string name) =>
        Api.List<Eventsv1Event>("ml").Where(e => e.Reason == "FailedScheduling" && e.Regarding?.Kind == kind && e.Regarding.Name == name)
            .Select(e => e.Note).LastOrDefault() ?? "";

    [Test]
    public async Task A_waiting_gang_is_explained_with_its_event_message_and_the_figures_per_level_and_resource()
    {
        SeedCluster();
        CliqueGang("big", 3);
        var host = await StartHostAsync();
        await KubeApiStandIn.WaitForAsync(() => EventMessage("PodGroup", "big").Length > 0, because: "the gang is tried and refused");

        var answer = await ApiClient(host).ExplainAsync(new ExplainRequest { PodGroup = new ObjectRef { Namespace = "ml", Name = "big" } });

        Assert.That(answer.State, Is.EqualTo("Unschedulable"));
        Assert.That(answer.Message, Is.EqualTo(EventMessage("PodGroup", "big")));
        Assert.That(answer.LastAttempt.Message, Is.EqualTo(answer.Message));
        Assert.That(answer.LastAttempt.Message, Does.Contain("needs 3 pods × 8 nvidia.com/gpu inside one nvidia.com/gpu.clique"));
        Assert.That(answer.Queue.Position, Is.EqualTo(1));
        Assert.That(answer.Queue.Lane, Is.EqualTo("Unschedulable"));
        Assert.That(answer.Queue.Attempts, Is.GreaterThanOrEqualTo(1));
        var level = answer.LastAttempt.Levels.Single();
        Assert.That((level.SubGroup, level.Level, level.Needed, level.BestFit, level.Unit), Is.EqualTo(("", Clique, 3, 2, "8 nvidia.com/gpu")));
        // r1 has 8 GPUs free (busy holds n1), r2 all 16.
        Assert.That(level.BestDomain, Is.EqualTo("b1/r2"));
        var gpu = level.Resources.Single(r => r.Resource == "nvidia.com/gpu");
        Assert.That((gpu.Needed, gpu.BestAvailable), Is.EqualTo((24L, 16L)));
        Assert.That(answer.Pods.Select(p => (p.Name, p.Node, p.Reason)), Is.EqualTo(new[] { 0, 1, 2 }.Select(i => ($"big-{i}", "", answer.Message))));
        Assert.That(answer.Leader, Is.True);
    }

    [Test]
    public async Task A_pod_is_explained_through_its_group_and_a_running_pod_as_bound()
    {
        SeedCluster();
        CliqueGang("big", 3);
        var host = await StartHostAsync();
        await KubeApiStandIn.WaitForAsync(() => EventMessage("PodGroup", "big").Length > 0, because: "the gang is tried and refused");
        var client = ApiClient(host);

        var member = await client.ExplainAsync(new ExplainRequest { Pod = new ObjectRef { Namespace = "ml", Name = "big-1" } });
        Assert.That((member.Group.Name, member.IsPodGroup, member.State), Is.EqualTo(("big", true, "Unschedulable")));
        Assert.That(member.Message, Is.EqualTo(EventMessage("Pod", "big-1")));

        var busy = await client.ExplainAsync(new ExplainRequest { Pod = new ObjectRef { Namespace = "ml", Name = "busy" } });
        Assert.That((busy.Group.Name, busy.IsPodGroup, busy.State, busy.Message), Is.EqualTo(("busy", false, "Bound", "pod ml/busy is bound to node n1")));
        Assert.That(busy.Queue, Is.Null);
    }

    [Test]
    public async Task A_pod_that_does_not_exist_is_NotFound_and_a_request_without_target_names_the_field()
    {
        SeedCluster();
        var host = await StartHostAsync();
        var client = ApiClient(host);

        var missing = await FailsAsync(client.ExplainAsync(new ExplainRequest { Pod = new ObjectRef { Namespace = "ml", Name = "ghost" } }));
        Assert.That(missing.StatusCode, Is.EqualTo(StatusCode.NotFound));
        var empty = await FailsAsync(client.ExplainAsync(new ExplainRequest()));
        Assert.That((empty.StatusCode, empty.Status.Detail), Is.EqualTo((StatusCode.InvalidArgument, "target: set pod or pod_group")));
        var unnamed = await FailsAsync(client.ExplainAsync(new ExplainRequest { PodGroup = new ObjectRef { Namespace = "ml" } }));
        Assert.That((unnamed.StatusCode, unnamed.Status.Detail), Is.EqualTo((StatusCode.InvalidArgument, "pod_group.name: must be set")));
    }
}
