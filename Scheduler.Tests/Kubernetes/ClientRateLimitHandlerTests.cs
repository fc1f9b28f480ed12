using Quorum.Kubernetes;

namespace Quorum.Tests.Kubernetes;

public class ClientRateLimitHandlerTests
{
    private sealed class Ok : HttpMessageHandler
    {
        private int _calls;

        public int Calls => _calls;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK));
        }
    }

    [Test]
    public async Task Requests_beyond_the_burst_wait_for_a_token()
    {
        var inner = new Ok();
        // One token per ~17 minutes: the fourth request cannot get one during the test.
        using var handler = new ClientRateLimitHandler(qps: 0.001f, burst: 3) { InnerHandler = inner };
        using var client = new HttpClient(handler);
        for (var i = 0; i < 3; i++) (await client.GetAsync(new Uri("http://127.0.0.1/"))).Dispose();
        using var cancel = new CancellationTokenSource();
        var fourth = client.GetAsync(new Uri("http://127.0.0.1/"), cancel.Token);
        await Task.Delay(100);
        Assert.That(inner.Calls, Is.EqualTo(3), "the burst passed; the fourth waits");
        await cancel.CancelAsync();
        Assert.That(async () => await fourth, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(inner.Calls, Is.EqualTo(3));
    }
}
