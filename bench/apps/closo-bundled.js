// The same job through the npm package, bundled like the peers (for the size comparison).
import 'closo-login';
import './closo.js';
