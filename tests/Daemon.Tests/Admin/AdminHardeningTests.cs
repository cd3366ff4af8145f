using System.Net;
using System.Net.Http.Headers;
using Recurring.Daemon.Configuration;

namespace Recurring.Daemon.Tests.Admin;

/// <summary>
/// The admin port as a browser on the operator's machine would reach it: the loopback bypass must not open control
/// routes to another site's page (CSRF) or to a name that only resolves to loopback (DNS rebinding), and a token
/// read from a file with its trailing newline still works.
/// </summary>
public sealed class AdminHardeningTests
{
    private const string Token = "test-admin-token-0123456789";

    private static async Task<HttpStatusCode> PostAsync(HttpClient http, Action<HttpRequestMessage> adjust)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/control");
        adjust(request);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    [Theory]
    [InlineData("Origin", "https://attacker.example")]
    [InlineData("Sec-Fetch-Site", "cross-site")]
    [InlineData("Sec-Fetch-Site", "same-site")]
    [InlineData("Host", "attacker.example")]
    public async Task TheLoopbackBypassRefusesCrossSiteRequestsAndForeignHostNames(string header, string value)
    {
        await using var server = await AdminServer.StartAsync(new AdminOptions { AllowUnauthenticatedLoopback = true });
        var http = server.Http;

        var status = await PostAsync(http, request =>
        {
            if (header == "Host") request.Headers.Host = value;
            else request.Headers.Add(header, value);
        });

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, _ => { }));
    }

    [Fact]
    public async Task TheLoopbackBypassAcceptsTheSameOriginAndLocalhost()
    {
        await using var server = await AdminServer.StartAsync(new AdminOptions { AllowUnauthenticatedLoopback = true });
        var http = server.Http;
        var port = http.BaseAddress!.Port;

        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, r => r.Headers.Add("Origin", $"http://127.0.0.1:{port}")));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, r => r.Headers.Host = $"localhost:{port}"));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, r => r.Headers.Add("Sec-Fetch-Site", "same-origin")));
    }

    [Fact]
    public async Task AConfiguredTokenWithATrailingNewlineStillMatches()
    {
        await using var server = await AdminServer.StartAsync(new AdminOptions { Token = Token + "\n" });
        var http = server.Http;

        var status = await PostAsync(http, r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token));

        Assert.Equal(HttpStatusCode.OK, status);
    }
}
