using k8s;
using k8s.Models;

namespace Quorum.Tests.ApiServerTests;

/// <summary>PUT and PATCH on the object and its /status, with optimistic concurrency and the pod update rules.</summary>
public class PatchAndUpdateTests : StandInFixture
{
    [Test]
    public async Task A_merge_patch_of_labels_changes_only_the_labels()
    {
        var before = await Client.CoreV1.CreateNamespacedPodAsync(Objects.Pod("w0", labels: new() { ["keep"] = "1", ["drop"] = "1" }), "ml");
        var after = await Client.CoreV1.PatchNamespacedPodAsync(
            new V1Patch("""{"metadata":{"labels":{"added":"yes","drop":null}}}""", V1Patch.PatchType.MergePatch), "w0", "ml");
        Assert.That(after.Metadata.Labels, Is.EqualTo(new Dictionary<string, string> { ["keep"] = "1", ["added"] = "yes" }));
        Assert.That(after.Metadata.Generation, Is.EqualTo(before.Metadata.Generation), "metadata changes leave generation alone");
        Assert.That(long.Parse(after.Metadata.ResourceVersion), Is.GreaterThan(long.Parse(before.Metadata.ResourceVersion)));
    }

    [Test]
    public async Task A_status_patch_changes_status_only_and_a_main_patch_ignores_status()
    {
        await Client.CoreV1.CreateNamespacedPodAsync(Objects.Pod("w0"), "ml");
        var status = await Client.CoreV1.PatchNamespacedPodStatusAsync(
            new V1Patch("""{"spec":{"nodeName":"sneaky"},"status":{"phase":"Running"}}""", V1Patch.PatchType.MergePatch), "w0", "ml");
        Assert.That(status.Status.Phase, Is.EqualTo("Running"));
        Assert.That(status.Spec.NodeName, Is.Null, "spec is not writable through /status");

        var main = await Client.CoreV1.PatchNamespacedPodAsync(
            new V1Patch("""{"metadata":{"labels":{"a":"b"}},"status":{"phase":"Failed"}}""", V1Patch.PatchType.MergePatch), "w0", "ml");
        Assert.That(main.Status.Phase, Is.EqualTo("Running"), "status is not writable through the main resource");
        Assert.That(main.Metadata.Labels["a"], Is.EqualTo("b"));
    }

    [Test]
    public async Task A_strategic_merge_patch_merges_pod_conditions_by_type()
    {
        var pod = Api.Put(Objects.Pod("w0"));
        var initial = new V1Patch("""{"status":{"conditions":[{"type":"Ready","status":"False"}]}}""", V1Patch.PatchType.StrategicMergePatch);
        await Client.CoreV1.PatchNamespacedPodStatusAsync(initial, pod.Metadata.Name, "ml");
        var scheduled = new V1Patch("""{"status":{"conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable"}]}}""", V1Patch.PatchType.StrategicMergePatch);
        var merged = await Client.CoreV1.PatchNamespacedPodStatusAsync(scheduled, "w0", "ml");
        Assert.That(merged.Status.Conditions.Select(c => c.Type), Is.EqualTo(new[] { "Ready", "PodScheduled" }));

        // The same list through a JSON merge patch replaces the whole list.
        var replaced = await Client.CoreV1.PatchNamespacedPodStatusAsync(
            new V1Patch("""{"status":{"conditions":[{"type":"PodScheduled","status":"True"}]}}""", V1Patch.PatchType.MergePatch), "w0", "ml");
        Assert.That(replaced.Status.Conditions.Select(c => c.Type), Is.EqualTo(new[] { "PodScheduled" }));
    }

    [Test]
    public async Task A_json_patch_applies_its_operations_and_a_failed_test_is_422()
    {
        await Client.CoreV1.CreateNodeAsync(Objects.Node("n1"));
        var patched = await Client.CoreV1.PatchNodeAsync(new V1Patch(
            """[{"op":"add","path":"/metadata/labels/zone","value":"a"},{"op":"add","path":"/spec/unschedulable","value":true}]""",
            V1Patch.PatchType.JsonPatch), "n1");
        Assert.That(patched.Metadata.Labels["zone"], Is.EqualTo("a"));
        Assert.That(patched.Spec.Unschedulable, Is.True);

        var failed = await ApiAssert.FailsAsync(() => Client.CoreV1.PatchNodeAsync(new V1Patch(
            """[{"op":"test","path":"/metadata/labels/zone","value":"b"}]""", V1Patch.PatchType.JsonPatch), "n1"));
        Assert.That(failed.Code, Is.EqualTo(422));
    }

    [Test]
    public async Task Replacing_with_a_stale_resourceVersion_is_409_Conflict()
    {
        var node = await Client.CoreV1.CreateNodeAsync(Objects.Node("n1"));
        var stale = await Client.CoreV1.ReadNodeAsync("n1");
        node.Metadata.Labels["rack"] = "r1";
        await Client.CoreV1.ReplaceNodeAsync(node, "n1");

        stale.Metadata.Labels["rack"] = "r2";
        var conflict = await ApiAssert.FailsAsync(() => Client.CoreV1.ReplaceNodeAsync(stale, "n1"));
        Assert.That(conflict.Code, Is.EqualTo(409));
        Assert.That(conflict.Reason, Is.EqualTo("Conflict"));
        Assert.That(conflict.Message, Is.EqualTo("Operation cannot be fulfilled on nodes \"n1\": the object has been modified; please apply your changes to the latest version and try again"));

        // A patch carrying a resourceVersion is the same precondition.
        var patchConflict = await ApiAssert.FailsAsync(() => Client.CoreV1.PatchNodeAsync(
            new V1Patch("{\"metadata\":{\"resourceVersion\":\"" + stale.Metadata.ResourceVersion + "\",\"labels\":{\"x\":\"y\"}}}", V1Patch.PatchType.MergePatch), "n1"));
        Assert.That(patchConflict.Code, Is.EqualTo(409));
    }

    [Test]
    public async Task A_pods_spec_cannot_be_changed_by_update_so_binding_must_go_through_pods_binding()
    {
        var pod = await Client.CoreV1.CreateNamespacedPodAsync(Objects.Pod("w0"), "ml");
        pod.Spec.NodeName = "n1";
        var refused = await ApiAssert.FailsAsync(() => Client.CoreV1.ReplaceNamespacedPodAsync(pod, "w0", "ml"));
        Assert.That(refused.Code, Is.EqualTo(422));
        Assert.That(refused.Message, Does.StartWith("Pod \"w0\" is invalid: spec: Forbidden: pod updates may not change fields other than"));

        var image = await Client.CoreV1.ReadNamespacedPodAsync("w0", "ml");
        image.Spec.Containers[0].Image = "registry.example/trainer:2.0";
        var updated = await Client.CoreV1.ReplaceNamespacedPodAsync(image, "w0", "ml");
        Assert.That(updated.Metadata.Generation, Is.EqualTo(2), "a spec change bumps generation");
    }

    [Test]
    public async Task Unknown_fields_are_dropped_with_a_warning_and_quantities_come_back_canonical()
    {
        using var http = new HttpClient { BaseAddress = Api.BaseAddress };
        using var body = new StringContent("""
            {"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"},"spec":{"bogus":1},
             "status":{"allocatable":{"cpu":"64000m","memory":"1024Mi"}}}
            """, System.Text.Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("api/v1/nodes", body);
        Assert.That((int)response.StatusCode, Is.EqualTo(201));
        Assert.That(response.Headers.GetValues("Warning"), Is.EqualTo(new[] { "299 - \"unknown field \\\"spec.bogus\\\"\"" }));
        var node = KubernetesJson.Deserialize<V1Node>(await response.Content.ReadAsStringAsync());
        Assert.That(node.Status.Allocatable["cpu"].ToString(), Is.EqualTo("64"));
        using var raw = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("api/v1/nodes/n1"));
        Assert.That(raw.RootElement.GetProperty("status").GetProperty("allocatable").GetProperty("memory").GetString(), Is.EqualTo("1Gi"));
        Assert.That(raw.RootElement.GetProperty("spec").TryGetProperty("bogus", out _), Is.False);
    }
}
