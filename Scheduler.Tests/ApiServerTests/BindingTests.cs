using k8s;
using k8s.Models;

namespace Quorum.Tests.ApiServerTests;

/// <summary>pods/binding as kube-apiserver implements it, and the bind faults a scheduler must survive.</summary>
public class BindingTests : StandInFixture
{
    [Test]
    public async Task A_binding_assigns_the_node_and_a_second_binding_is_409()
    {
        var pod = await Client.CoreV1.CreateNamespacedPodAsync(Objects.Pod("w0"), "ml");
        var answer = await Client.CoreV1.CreateNamespacedPodBindingAsync(Objects.Binding("w0", "n1"), "w0", "ml");
        Assert.That(answer, Is.Not.Null);

        var bound = await Client.CoreV1.ReadNamespacedPodAsync("w0", "ml");
        Assert.That(bound.Spec.NodeName, Is.EqualTo("n1"));
        var scheduled = bound.Status.Conditions.Single(c => c.Type == "PodScheduled");
        Assert.That(scheduled.Status, Is.EqualTo("True"), "BindingREST sets PodScheduled=True (podutil.UpdatePodCondition)");
        Assert.That(bound.Metadata.Generation, Is.EqualTo(pod.Metadata.Generation), "binding bypasses the update strategy");

        var again = await ApiAssert.FailsAsync(() => Client.CoreV1.CreateNamespacedPodBindingAsync(Objects.Binding("w0", "n2"), "w0", "ml"));
        Assert.That(again.Code, Is.EqualTo(409));
        Assert.That(again.Reason, Is.EqualTo("Conflict"));
        Assert.That(again.Message, Is.EqualTo("Operation cannot be fulfilled on pods/binding \"w0\": pod w0 is already assigned to node \"n1\""));
        Assert.That(again.Message, Does.Contain("pod w0 is already assigned to node \"n1\""));
    }

    [Test]
    public async Task Binding_a_missing_pod_is_404_and_a_recreated_pod_fails_the_uid_precondition()
    {
        var missing = await ApiAssert.FailsAsync(() => Client.CoreV1.CreateNamespacedPodBindingAsync(Objects.Binding("ghost", "n1"), "ghost", "ml"));
        Assert.That(missing.Code, Is.EqualTo(404));
        Assert.That(missing.Message, Is.EqualTo("pods \"ghost\" not found"));

        await Client.CoreV1.CreateNamespacedPodAsync(Objects.Pod("w0"), "ml");
        var binding = Objects.Binding("w0", "n1");
        binding.Metadata.Uid = "uid-of-an-older-w0";
        var stale = await ApiAssert.FailsAsync(() => Client.CoreV1.CreateNamespacedPodBindingAsync(binding, "w0", "ml"));
        Assert.That(stale.Code, Is.EqualTo(409));
        Assert.That(stale.Message, Does.Contain("Precondition failed: UID in precondition: uid-of-an-older-w0"));
    }

    [Test]
    public async Task Injected_bind_failures_fail_then_let_binds_through()
    {
        Api.Put(Objects.Pod("w0"));
        Api.FailNextBinds(1, 500);
        var failed = await ApiAssert.FailsAsync(() => Client.CoreV1.CreateNamespacedPodBindingAsync(Objects.Binding("w0", "n1"), "w0", "ml"));
        Assert.That(failed.Code, Is.EqualTo(500));
        Assert.That(failed.Reason, Is.EqualTo("InternalError"));
        Assert.That(Api.Get<V1Pod>("w0", "ml")!.Spec.NodeName, Is.Null);

        await Client.CoreV1.CreateNamespacedPodBindingAsync(Objects.Binding("w0", "n1"), "w0", "ml");
        Assert.That(Api.Get<V1Pod>("w0", "ml")!.Spec.NodeName, Is.EqualTo("n1"));
        Assert.That(Api.Requests.Count(r => r.Path == "/api/v1/namespaces/ml/pods/w0/binding"), Is.EqualTo(2));
    }

    [Test]
    public async Task A_bind_that_times_out_after_commit_is_bound_although_the_client_saw_an_error()
    {
        Api.Put(Objects.Pod("w0"));
        Api.Faults.BindFailure = a => a.Node == "bad" ? 503 : null;
        Assert.That((await ApiAssert.FailsAsync(() => Client.CoreV1.CreateNamespacedPodBindingAsync(Objects.Binding("w0", "bad"), "w0", "ml"))).Code, Is.EqualTo(503));

        Api.FailNextBinds(1, 504, afterCommit: true);
        var timeout = await ApiAssert.FailsAsync(() => Client.CoreV1.CreateNamespacedPodBindingAsync(Objects.Binding("w0", "n1"), "w0", "ml"));
        Assert.That(timeout.Code, Is.EqualTo(504));
        Assert.That(Api.Get<V1Pod>("w0", "ml")!.Spec.NodeName, Is.EqualTo("n1"));
    }
}
