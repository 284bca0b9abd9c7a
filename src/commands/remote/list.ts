import Remote from './index.js';

export default class RemoteList extends Remote {
  static override summary = 'List the remotes: name, URL and endpoint.';
}
