import { describe, expect, it } from 'vitest';
import { defaultHostLock, displayPath, hostByName, hostInfo, hostOfFile, HOSTS, searchedPlaces, type HostPlace } from '../../../../src/adapters/hosts/index.js';
import { McpmError } from '../../../../src/core/errors.js';

const linux: HostPlace = { env: { HOME: '/home/u' }, platform: 'linux' };
const mac: HostPlace = { env: { HOME: '/Users/u' }, platform: 'darwin' };
const windows: HostPlace = { env: { USERPROFILE: 'C:\\Users\\u', APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, platform: 'win32' };

const userFiles = (place: HostPlace) => Object.fromEntries(HOSTS.map((h) => [h.name, h.userFiles(place)]));

describe('user-level config paths', () => {
  it('Linux', () => {
    expect(userFiles(linux)).toEqual({
      'claude-code': ['/home/u/.claude.json'],
      'claude-desktop': ['/home/u/.config/Claude/claude_desktop_config.json'],
      cursor: ['/home/u/.cursor/mcp.json'],
      vscode: ['/home/u/.config/Code/User/mcp.json', '/home/u/.config/Code/User/settings.json'],
      windsurf: ['/home/u/.codeium/windsurf/mcp_config.json', '/home/u/.codeium/mcp_config.json'],
      gemini: ['/home/u/.gemini/settings.json'],
      codex: ['/home/u/.codex/config.toml'],
      zed: ['/home/u/.config/zed/settings.json'],
      'claude-code-plugins': [],
      cline: ['/home/u/.config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json', '/home/u/.cline/data/settings/cline_mcp_settings.json'],
      continue: ['/home/u/.continue/config.yaml'],
    });
    expect(searchedPlaces(hostInfo('claude-code-plugins'), linux)).toEqual(['~/.claude/plugins/installed_plugins.json']);
    expect(searchedPlaces(hostInfo('continue'), linux)).toEqual(['~/.continue/config.yaml', '~/.continue/mcpServers/*.yaml']);
  });

  it('macOS', () => {
    expect(userFiles(mac)).toMatchObject({
      'claude-desktop': ['/Users/u/Library/Application Support/Claude/claude_desktop_config.json'],
      vscode: ['/Users/u/Library/Application Support/Code/User/mcp.json', '/Users/u/Library/Application Support/Code/User/settings.json'],
      zed: ['/Users/u/.config/zed/settings.json'],
      cursor: ['/Users/u/.cursor/mcp.json'],
      cline: ['/Users/u/Library/Application Support/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json', '/Users/u/.cline/data/settings/cline_mcp_settings.json'],
    });
  });

  it('Windows', () => {
    expect(userFiles(windows)).toMatchObject({
      'claude-code': ['C:\\Users\\u\\.claude.json'],
      'claude-desktop': ['C:\\Users\\u\\AppData\\Roaming\\Claude\\claude_desktop_config.json'],
      vscode: ['C:\\Users\\u\\AppData\\Roaming\\Code\\User\\mcp.json', 'C:\\Users\\u\\AppData\\Roaming\\Code\\User\\settings.json'],
      cursor: ['C:\\Users\\u\\.cursor\\mcp.json'],
      continue: ['C:\\Users\\u\\.continue\\config.yaml'],
      zed: ['C:\\Users\\u\\AppData\\Roaming\\Zed\\settings.json'],
      codex: ['C:\\Users\\u\\.codex\\config.toml'],
    });
  });

  it('XDG_CONFIG_HOME, CODEX_HOME and CLAUDE_CONFIG_DIR move what they move', () => {
    const place: HostPlace = {
      env: { HOME: '/home/u', XDG_CONFIG_HOME: '/xdg', CODEX_HOME: '/codex', CLAUDE_CONFIG_DIR: '/claude', CONTINUE_GLOBAL_DIR: '/cont', CLINE_MCP_SETTINGS_PATH: '/cline.json' },
      platform: 'linux',
    };
    expect(searchedPlaces(hostInfo('claude-code-plugins'), place)).toEqual(['/claude/plugins/installed_plugins.json']);
    expect(userFiles(place)).toMatchObject({
      continue: ['/cont/config.yaml'],
      cline: ['/xdg/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json', '/cline.json'],
      'claude-desktop': ['/xdg/Claude/claude_desktop_config.json'],
      vscode: ['/xdg/Code/User/mcp.json', '/xdg/Code/User/settings.json'],
      zed: ['/xdg/zed/settings.json'],
      codex: ['/codex/config.toml'],
      'claude-code': ['/claude/.claude.json'],
    });
    expect(defaultHostLock('cursor', place)).toBe('/xdg/mcpm/cursor.lock');
  });

  it('no HOME is a USAGE error saying so', () => {
    expect(() => hostInfo('cursor').userFiles({ env: {}, platform: 'linux' })).toThrow(McpmError);
    expect(() => hostInfo('cursor').userFiles({ env: {}, platform: 'linux' })).toThrow(/HOME is not set/);
  });
});

describe('the rest of the registry', () => {
  it('project-level files', () => {
    expect(Object.fromEntries(HOSTS.map((h) => [h.name, h.projectFiles]))).toEqual({
      'claude-code': ['.mcp.json'],
      'claude-desktop': [],
      cursor: ['.cursor/mcp.json'],
      vscode: ['.vscode/mcp.json', '.vscode/settings.json'],
      windsurf: [],
      gemini: ['.gemini/settings.json'],
      codex: ['.codex/config.toml'],
      zed: ['.zed/settings.json'],
      'claude-code-plugins': [],
      cline: [],
      continue: [],
    });
  });

  it('default locks per host', () => {
    expect(defaultHostLock('claude-desktop', linux)).toBe('/home/u/.config/mcpm/claude-desktop.lock');
    expect(defaultHostLock('claude-desktop', mac)).toBe('/Users/u/.config/mcpm/claude-desktop.lock');
    expect(defaultHostLock('claude-desktop', windows)).toBe('C:\\Users\\u\\AppData\\Roaming\\mcpm\\claude-desktop.lock');
  });

  it('hostOfFile names the formats that differ from the shape mcpm reads by default', () => {
    expect(hostOfFile('/home/u/.claude.json')).toBe('claude-code');
    expect(hostOfFile('/home/u/.codeium/windsurf/mcp_config.json')).toBe('windsurf');
    expect(hostOfFile('/home/u/.codex/config.toml')).toBe('codex');
    expect(hostOfFile('/p/.gemini/settings.json')).toBe('gemini');
    expect(hostOfFile('/home/u/.config/zed/settings.json')).toBe('zed');
    expect(hostOfFile('/p/.zed/settings.json')).toBe('zed');
    expect(hostOfFile('/p/.vscode/settings.json')).toBe('vscode');
    expect(hostOfFile('/home/u/.config/Code/User/settings.json')).toBe('vscode');
    expect(hostOfFile('/x/saoudrizwan.claude-dev/settings/cline_mcp_settings.json')).toBe('cline');
    expect(hostOfFile('/home/u/.continue/config.yaml')).toBe('continue');
    expect(hostOfFile('/p/.continue/mcpServers/github.yml')).toBe('continue');
    expect(hostOfFile('/p/.continue/mcpServers/github.json')).toBe('continue');
    expect(hostOfFile('/p/other/mcpServers/github.json')).toBeUndefined();
    expect(hostOfFile('/p/.cursor/mcp.json')).toBeUndefined();
    expect(hostOfFile('/p/.mcp.json')).toBeUndefined();
  });

  it('an unknown --host is USAGE listing the names', () => {
    expect(() => hostByName('claude')).toThrow(/unknown host "claude"/);
    try {
      hostByName('claude');
    } catch (error) {
      expect((error as McpmError).hint).toBe('use one of: claude-code, claude-desktop, cursor, vscode, windsurf, gemini, codex, zed, claude-code-plugins, cline, continue');
    }
  });

  it('displayPath abbreviates HOME', () => {
    expect(displayPath('/home/u/.cursor/mcp.json', linux)).toBe('~/.cursor/mcp.json');
    expect(displayPath('/etc/x', linux)).toBe('/etc/x');
    expect(displayPath('C:\\Users\\u\\.claude.json', windows)).toBe('~\\.claude.json');
  });
});
