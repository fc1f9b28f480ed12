using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Quorum.Tests.ApiServerTests;

/// <summary>Runs a client call that must fail and returns the metav1.Status the server answered with.</summary>
internal static class ApiAssert
{
    public static async Task<V1Status> FailsAsync(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (HttpOperationException e)
        {
            var status = KubernetesJson.Deserialize<V1Status>(e.Response.Content);
            Assert.That((int)e.Response.StatusCode, Is.EqualTo(status.Code), "the Status carries the HTTP code");
            Assert.That(status.Kind, Is.EqualTo("Status"));
            Assert.That(status.Status, Is.EqualTo("Failure"));
            return status;
        }
        Assert.Fail("the call was expected to fail");
        throw new InvalidOperationException();
    }
}
