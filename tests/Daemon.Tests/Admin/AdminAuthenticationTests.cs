using System.Net;
using System.Text.Json;
using Recurring.Daemon.Admin;
using Recurring.Daemon.Configuration;

namespace Recurring.Daemon.Tests.Admin;

/// <summary>The admin scheme and policy on a real Kestrel server (<see cref="AdminServer"/>).</summary>
public sealed class AdminAuthenticationTests
{
    private const string Token = "test-admin-token-0123456789";

    private static async Task<string?> DetailOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString();

    [Fact]
    public async Task TheConfiguredTokenOpensAControlRoute()
    {
        await using var server = await AdminServer.StartAsync(new AdminOptions { Token = Token });

        using var response = await server.PostAsync(Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("done", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AWrongOrMissingTokenIs401WithABearerChallengeAndTheReason()
    {
        await using var server = await AdminServer.StartAsync(new AdminOptions { Token = Token });

        foreach (var token in new[] { null, Token + "x", Token[..^1] })
        {
            using var response = await server.PostAsync(token);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
            Assert.Equal("A valid bearer token is required.", await DetailOf(response));
        }
    }

    [Fact]
    public async Task WithoutAConfiguredTokenControlRoutesAre403WithTheReason()
    {
        await using var server = await AdminServer.StartAsync(new AdminOptions());

        using var response = await server.PostAsync(Token);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("No Admin:Token is configured, so control routes are disabled.", await DetailOf(response));
    }

    [Fact]
    public async Task AllowUnauthenticatedLoopbackOpensControlRoutesToLocalCallersWithoutAToken()
    {
        await using var server = await AdminServer.StartAsync(new AdminOptions { AllowUnauthenticatedLoopback = true });

        using var response = await server.PostAsync(token: null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ReadRoutesNeedNoToken()
    {
        await using var server = await AdminServer.StartAsync(new AdminOptions { Token = Token });

        Assert.Equal("open", await server.Http.GetStringAsync("/read"));
    }
}
