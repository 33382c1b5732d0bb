export { hostFixture as fixture } from '../../../helpers/host-fixtures.js';

/** The project whose local scope claude.json has. */
export const CLAUDE_PROJECT = '/home/user/src/app';
